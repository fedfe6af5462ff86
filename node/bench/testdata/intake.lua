-- wrk script of Herald's benchmark harness (node/bench). It posts the
-- recorded GitHub push payload to /hooks/github, signed, with a delivery
-- id of its own on every request, and spreads wrk's threads over the
-- nodes, one address per thread in turn. It reads:
--   BENCH_ADDRS      HOST:PORT of every node, separated by commas
--   BENCH_BODY       the payload file
--   BENCH_SIGNATURE  the X-Hub-Signature-256 of that payload
--   BENCH_RUN        a prefix that makes the delivery ids of a run unique
-- and prints one line, "HERALD_BENCH_WRK " and a JSON object, at the end.

local threads = {}

function setup(thread)
  local addrs = {}
  for hostport in string.gmatch(os.getenv("BENCH_ADDRS"), "[^,]+") do
    local host, port = string.match(hostport, "^(.+):(%d+)$")
    table.insert(addrs, wrk.lookup(host, port)[1])
  end
  table.insert(threads, thread)
  thread.addr = addrs[(#threads - 1) % #addrs + 1]
  thread:set("tid", #threads)
end

function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
  body = f:read("*a")
  f:close()
  prefix = os.getenv("BENCH_RUN") .. "-" .. tid .. "-"
  sent = 0
  not_accepted = 0
  headers = {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "push",
    ["X-Hub-Signature-256"] = os.getenv("BENCH_SIGNATURE"),
  }
end

function request()
  sent = sent + 1
  headers["X-GitHub-Delivery"] = prefix .. sent
  return wrk.format("POST", "/hooks/github", headers, body)
end

-- Only 202 means the webhook was kept; wrk itself counts only >= 400.
function response(status, hdrs, b)
  if status ~= 202 then
    not_accepted = not_accepted + 1
  end
end

function done(summary, latency, requests)
  local other, sent_all = 0, 0
  for _, t in ipairs(threads) do
    other = other + t:get("not_accepted")
    sent_all = sent_all + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    'HERALD_BENCH_WRK {"requests":%d,"sent":%d,"duration_us":%d,"not_202":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, sent_all, summary.duration, other,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
