// Package redis is the coordinator of the shared mode: coord.State's
// decisions made by Lua scripts on Redis, atomically per enterprise, for any
// number of server replicas.
//
// Every decision kind is one script (decide.lua, withdraw.lua, settle.lua,
// seed.lua, forget.lua, close.lua, each preceded by lib.lua's shared steps), run with EVALSHA and
// EVAL as the fallback. The scripts do what coord.State does, step by step;
// seeding reuses coord.NewState in Go and only writes its result.
//
// Keys of one enterprise all carry the hash tag {USCC}, so that a script
// touches one Redis Cluster slot:
//
//	ruqi:{USCC}:p          hash    the enterprise's state:
//	  <inspection id>                cjson of a plan held: a agency, s/e window
//	                                 (unix ms), x exempt, ni not an
//	                                 inspection, cd closed, j joint id, nv new
//	                                 visit, o order, c names of the counters it
//	                                 charged, vk its visit counters [name,
//	                                 expiry], k when its last counter lapses,
//	                                 cb confirm-by (pending plans only)
//	  #v, #o                         version, order counter
//	  #seeded                        "4:<run id>:<replication id>": seeded
//	                                 from the store by the Redis process of
//	                                 that run id as master of that replication
//	                                 id (another's, or an older layout's "1", "2"
//	                                 or "3", is seeded again: a Redis back from a
//	                                 snapshot, a failover or a failback holds
//	                                 older states)
//	  #e                             the store's fence the state stands on
//	                                 (coord.Decision.Fence)
//	  #c:<name>                      a live counter's expiry (Counter.ExpireAt,
//	                                 unix ms); the list Forget deletes by
//	  #x                             when Redis expires the hash (unix ms)
//	ruqi:{USCC}:c:<name>   string  the count of one calendar period, name being
//	                               Counter.Key ("a:AG-1:y:2026", "v:w:2026W48")
//	ruqi:{USCC}:raising    string  held (SET NX, a random token, 5 s) by the one replica that
//	                               seeds the enterprise or checks its expired
//	                               pending plans, each of which raises the
//	                               store's fence (coord.Seeder); the others
//	                               wait for its state
//
// Inspection ids starting with "#" are refused, so that no plan is taken for
// the state's own fields.
//
// Time comes from the caller: decisions compare with the now argument, never
// with Redis's clock, so a count lapses exactly when Counter.ExpireAt is no
// longer after now, as in coord.State. Redis's own expiry only collects
// garbage: a counter key expires at Counter.ExpireAt (its calendar period
// plus the policy's margin) or, if that is less than a day ahead of Redis's
// clock, a day after the write; the hash expires when no plan is open and no
// count is live any more (and at least a day after the last write). An
// enterprise whose hash is gone, or was never written, is seeded again from
// the store before its next decision, and so is one whose hash lists a
// counter live on Redis's clock whose key is gone (evicted under maxmemory):
// read as 0, it would let plans past their cap.
//
// Redis unreachable (refused, timed out, connection lost) or unable to serve
// (loading, failover) gives an error wrapping coord.ErrUnavailable.
package redis
