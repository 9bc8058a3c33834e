-- close.lua: coord.State.Close, atomically.
--
-- KEYS[1] the state hash.
-- ARGV[1] inspection id.
--
-- Marks the plan closed (cd) if the state holds it; a state not seeded, or
-- one without the plan, is left alone: its seed reads the store, where the
-- inspection is closed. Returns 0.

local st = loadState()
if not st.seeded then
	return 0
end
local p = st.plans[ARGV[1]]
if p ~= nil and not p.cd then
	p.cd = true
	savePlan(st, p)
	flush(st)
end
return 0
