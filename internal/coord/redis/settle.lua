-- settle.lua: coord.State.Settle (and Confirm, and Release), atomically.
--
-- KEYS[1] the state hash.
-- ARGV[1] now (unix ms), ARGV[2] how many ids follow to confirm, then the
-- ids to confirm (written to the store), then pairs of an id to release
-- (pending, never written) and the hold it is released under (unix ms: the
-- failed attempt's, or now for a hold that is over; 0 for any): a retry
-- that renewed the hold keeps it. A confirmed plan is never released.
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
for i = 3 + nconfirm, #ARGV, 2 do
	local d = releasePlan(st, ARGV[i], tonumber(ARGV[i + 1]), now)
	if d ~= nil then
		table.insert(released, d)
	end
end
if #released == 0 then
	return finish(st, {noop = true})
end
return finish(st, {r = released})
