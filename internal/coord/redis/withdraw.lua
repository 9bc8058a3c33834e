-- withdraw.lua: coord.State.Withdraw, atomically.
--
-- KEYS[1] the state hash.
-- ARGV[1] now (unix ms), ARGV[2] inspection id, ARGV[3] the store's fence,
-- which the cancellation raised (0: none).
--
-- Returns the decision as cjson, or {"noop":true} when the enterprise has no
-- state: there is nothing to undo, and its next seed reads the store, where
-- the plan is cancelled. A state that cannot take the fence (another raise
-- came between: it may have been written from a read made before the
-- cancellation) is dropped, and answers {"noop":true} too.

local now, id, fence = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])

local st = loadState()
if not st.seeded then
	return cjson.encode({noop = true})
end
if not takeFence(st, fence) then
	dropState()
	return cjson.encode({noop = true})
end
prune(st, now)
return finish(st, withdrawPlan(st, id, now))
