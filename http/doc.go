// Package http is Herald's HTTP surface, served by every node: webhook
// intake, health, status, and the admin calls.
//
// What it guarantees:
//
//   - A webhook answered 202 was pushed to the jobs list and the queue
//     backend acknowledged the write. What cannot be kept is answered 503,
//     so that the sender retries it later.
//   - A webhook body is read up to http.max_body bytes and its signature is
//     checked before any byte of it is parsed.
//   - A client's mistake is answered with a 4xx status, never a 5xx: a
//     sender that gets a 5xx retries, and retrying a bad request cannot
//     help.
//   - Admin calls need http.admin_token, compared in constant time. With
//     no token set they are refused, never open.
//   - Bodies, signatures and tokens are never logged.
//
// What it does not guarantee: that a delivery is pushed only once. A
// sender that lost a 202 sends the same delivery again, and both are
// queued; the job worker drops the second one by its id. The package does
// not format or handle webhooks either: that happens on whichever node
// pops the job.
//
// Routes:
//
//	GET  /healthz                        200 "ok" while the process serves
//	GET  /readyz                         200 while the queue answers within 1s, else 503
//	GET  /                               the status page for a person (HTML, refreshes every 5s)
//	GET  /status                         cluster status as JSON, or the page for a browser
//	GET  /metrics                        Deps.Metrics, when given
//	POST /hooks/{source}                 webhook intake: 202 {"status":"queued","id":ID}
//	POST /admin/step-down                the master gives up its role (409 on a worker)
//	GET  /admin/dead-letters             ?limit=N (default 100), ?body=1 adds payloads
//	POST /admin/dead-letters/requeue     ?id=ID, or ?all=1
//
// Admin calls take the header "Authorization: Bearer TOKEN".
//
// The package is named http; it imports net/http as nethttp.
package http
