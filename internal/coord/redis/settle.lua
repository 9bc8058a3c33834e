-- settle.lua: coord.State.Settle (and Confirm, and Release), atomically.
--
-- KEYS[1] the state hash.
-- ARGV[1] now (unix ms), ARGV[2] how many ids follow to confirm, then the
-- ids to confirm (written to the store), then the ids to release (pending,
-- never written). A confirmed plan is never released.
--
-- Returns the releases' decisions as cjson {"r":[...]}, {"noop":true} if
-- nothing was released.

local now, nconfirm = tonumber(ARGV[1]), tonumber(ARGV[2])

local st = loadState()
if not st.seeded then
	return cjson.encode({noop = true})
end
prune(st, now)
for i = 3, 2 + nconfirm do
	confirmPlan(st, ARGV[i])
end
local released = {}
for i = 3 + nconfirm, #ARGV do
	local d = releasePlan(st, ARGV[i], now)
	if d ~= nil then
		table.insert(released, d)
	end
end
if #released == 0 then
	return finish(st, {noop = true})
end
return finish(st, {r = released})
