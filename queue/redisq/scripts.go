package redisq

import "github.com/redis/go-redis/v9"

// The Lua scripts below make each multi-step change atomic: an envelope is
// never in two lists and never in none, and a fenced write never lands
// after the term moved. A missing term key never equals a fence, so a
// fenced write is refused until the election has written a term.

// fencedPush: KEYS term, list; ARGV fence, payload.
// Returns -1 when fenced off, else the list's new length.
var fencedPush = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
return redis.call('LPUSH', KEYS[2], ARGV[2])
`)

// fencedClaim: KEYS term, claim; ARGV fence, value, ttl in ms.
// Returns -1 when fenced off, 1 when claimed, 0 when already claimed.
var fencedClaim = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0
`)

// fencedClaimAll claims KEYS[2..] like fencedClaim, all or none fenced:
// ARGV fence, owner, ttl in ms. Returns -1 when fenced, else 1 or 0 per
// key.
var fencedClaimAll = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local out = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[2], 'NX', 'PX', ARGV[3]) then
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`)

// moveLease ends a lease by moving it elsewhere: KEYS proc, dest; ARGV
// lease, payload to store, 'left' or 'right' end of dest. Returns 0 when
// the lease was gone (reaped or acknowledged), so nothing is stored twice.
var moveLease = redis.NewScript(`
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
if ARGV[3] == 'right' then
  redis.call('RPUSH', KEYS[2], ARGV[2])
else
  redis.call('LPUSH', KEYS[2], ARGV[2])
end
return 1
`)

// restoreOrphans returns up to ARGV[2] copies of item ARGV[1] from KEYS
// proc to the front (right end) of KEYS src. Returns how many moved.
var restoreOrphans = redis.NewScript(`
local n = redis.call('LREM', KEYS[1], tonumber(ARGV[2]), ARGV[1])
for i = 1, n do redis.call('RPUSH', KEYS[2], ARGV[1]) end
return n
`)

// forgetNode removes node ARGV[1] from the set KEYS[1] when its heartbeat
// KEYS[2] is gone and all its processing lists KEYS[3..] are empty.
// Returns 1 when removed.
var forgetNode = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
for i = 3, #KEYS do
  if redis.call('LLEN', KEYS[i]) > 0 then return 0 end
end
return redis.call('SREM', KEYS[1], ARGV[1])
`)

// unclaim deletes claim KEYS[1] if node ARGV[1] holds it.
var unclaim = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
