-- settle.lua: coord.State.Settle (and Confirm, and Release), atomically.
--
-- KEYS[1] the state hash.
-- ARGV[1] now (unix ms), ARGV[2] the store's fence, raised when Go checked
-- the pending plans against the store or before a release (0: none, a
-- Confirm), ARGV[3]
-- how many ids follow to confirm, then the ids to confirm (written to the store), then pairs of an id to release
-- (pending, never written) and the hold it is released under (unix ms: the
-- failed attempt's, or now for a hold that is over; 0 for any): a retry
-- that renewed the hold keeps it. A confirmed plan is never released.
--
-- Returns the releases' decisions as cjson {"r":[...]}, {"noop":true} if
-- nothing was released, {"stale":true} without a change if another raise of
-- the fence came between the state's and this one (takeFence): Go rebuilds
-- the state from the store.

local now, fence, nconfirm = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
-- A release's fence comes negated (coord.State.ReleaseStale): under a fence
-- older than the state's it releases nothing, since a retry of the plan
-- may have been decided again under the newer raise.
local release = fence < 0
if release then
	fence = -fence
end

local st = loadState()
if not st.seeded then
	return cjson.encode({noop = true})
end
if release and fence ~= 0 and fence < st.ep then
	return cjson.encode({noop = true})
end
-- A plan released below as never written can no longer commit: the raise
-- put the store's fence above the one it was decided under.
if not takeFence(st, fence) then
	return cjson.encode({stale = true})
end
prune(st, now)
for i = 4, 3 + nconfirm do
	confirmPlan(st, ARGV[i])
end
local released = {}
for i = 4 + nconfirm, #ARGV, 2 do
	local d = releasePlan(st, ARGV[i], tonumber(ARGV[i + 1]), now)
	if d ~= nil then
		table.insert(released, d)
	end
end
if #released == 0 then
	return finish(st, {noop = true})
end
return finish(st, {r = released})
