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

local p = st.plans[id]
if p == nil then
	return finish(st, {v = st.v})
end

st.v = st.v + 1
st.plans[id] = nil
setField(st, id, false)
fetch(st, p.c)

-- A joint inspection's visit is not the withdrawn plan's alone: its counts
-- wait until we know whether the visit goes on.
local visitKeys = {}
for _, name in ipairs(p.c) do
	if p.j ~= '' and startsWith(name, 'v:') then
		table.insert(visitKeys, name)
	else
		add(st, name, -1, nil)
	end
end
if p.j == '' then
	return finish(st, {o = ACCEPTED, v = st.v})
end

local rest = members(st, p.j)
if #rest == 0 then
	for _, name in ipairs(visitKeys) do
		add(st, name, -1, nil)
	end
	return finish(st, {o = JOINED, j = p.j, v = st.v})
end
if p.nv then
	-- The visit goes on with the others: its counts pass to the earliest
	-- remaining member.
	local heir = rest[1]
	heir.nv = true
	for _, name in ipairs(visitKeys) do
		table.insert(heir.c, name)
	end
	savePlan(st, heir)
end
return finish(st, describe(st, rest[1], JOINED))
