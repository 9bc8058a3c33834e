-- withdraw.lua: coord.State.Withdraw, atomically.
--
-- KEYS[1] the state hash.
-- ARGV[1] now (unix ms), ARGV[2] inspection id.
--
-- Returns the decision as cjson, or {"noop":true} when the enterprise has no
-- state: there is nothing to undo, and its next seed reads the store, where
-- the plan is cancelled.

local now, id = tonumber(ARGV[1]), ARGV[2]

local st = loadState()
if not st.seeded then
	return cjson.encode({noop = true})
end
prune(st, now)
return finish(st, withdrawPlan(st, id, now))
