-- seed.lua: writes the state Go built with coord.NewState from the store's
-- seed, unless the enterprise was seeded meanwhile (by another replica that
-- also found it empty): then the state already there stands, under the
-- seed's fence if that is higher. It may be: both replicas raised the
-- store's fence, and the state already there holds every plan the store
-- committed since its own seed, because a registration commits only under
-- the fence its decision was made under.
--
-- KEYS[1] the state hash, KEYS[2..] the counter keys of the counts in ARGV,
-- in the same order.
-- ARGV[1] version, ARGV[2] order counter, ARGV[3] number of plans, ARGV[4]
-- the store's fence, then two per plan: inspection id, cjson of the plan
-- (fields as decodePlan reads them), then three per count: counter name,
-- count, expiry (unix ms).
--
-- Returns 1 if it wrote the state, 0 if the enterprise was already seeded.

local fence = tonumber(ARGV[4])
if redis.call('HGET', stateKey, '#seeded') == SCHEMA then
	local st = loadState()
	raiseFence(st, fence)
	flush(st)
	return 0
end
-- Whatever is left of an earlier state (a partial loss) is not the record.
redis.call('DEL', stateKey)

local st = {plans = {}, counts = {}, v = tonumber(ARGV[1]), o = tonumber(ARGV[2]), ep = 0, x = nil, dirty = {}}
local nplans = tonumber(ARGV[3])
raiseFence(st, fence)
local i = 5
for _ = 1, nplans do
	local p = decodePlan(ARGV[i], ARGV[i + 1])
	st.plans[p.id] = p
	setField(st, p.id, ARGV[i + 1])
	i = i + 2
end
while i <= #ARGV do
	local name, n, exp = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
	st.counts[name] = exp
	setField(st, '#c:' .. name, int(exp))
	redis.call('SET', counterKey(name), int(n), 'PXAT', int(gcAt(exp)))
	i = i + 3
end
setField(st, '#seeded', SCHEMA)
setField(st, '#v', int(st.v))
setField(st, '#o', int(st.o))
st.v0, st.o0 = st.v, st.o
-- The hash must exist before its expiry is set.
flush(st)
keepAlive(st)
flush(st)
return 1
