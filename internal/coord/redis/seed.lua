-- seed.lua: writes the state Go built with coord.NewState from the store's
-- seed. If another replica that also found the enterprise empty wrote its
-- state meanwhile, that state stands when it is on the seed's fence or a
-- later one. On an older fence it stands too, and takes the seed's fence,
-- if it holds every plan of the seed: the seed was read after its raise, so
-- it lists every plan committed (writes decided under an older fence fail
-- their check from then on), and a state that holds them all counts every
-- plan the store can hold. Otherwise (it was written from a read made before
-- another state, since lost, committed a plan) the seed replaces it.
--
-- KEYS[1] the state hash, KEYS[2..] the counter keys of the counts in ARGV,
-- in the same order.
-- ARGV[1] version, ARGV[2] order counter, ARGV[3] number of plans, ARGV[4]
-- the store's fence, then two per plan: inspection id, cjson of the plan
-- (fields as decodePlan reads them), then three per count: counter name,
-- count, expiry (unix ms).
--
-- Returns 1 if it wrote the state, 0 if the state there stands.

local fence = tonumber(ARGV[4])
local mark = seededMark()
local seeded = redis.call('HGET', stateKey, '#seeded') == mark and loadState()
if seeded and seeded.seeded then
	local st = seeded
	if fence <= st.ep then
		return 0
	end
	local holds = true
	for i = 5, 4 + 2 * tonumber(ARGV[3]), 2 do
		if st.plans[ARGV[i]] == nil then
			holds = false
			break
		end
	end
	if holds then
		st.ep = fence
		setField(st, '#e', int(fence))
		-- Decisions written meanwhile (by a state since lost) carry
		-- versions up to the seed's: the next must be newer, or the
		-- store would keep their membership over it.
		st.v = math.max(st.v, tonumber(ARGV[1]))
		flush(st)
		return 0
	end
end
-- Whatever is there (a state that lacks a stored plan, a partial loss such
-- as a counter key evicted, which loadState reads as not seeded) is not the
-- record.
dropState()

local st = {plans = {}, counts = {}, v = tonumber(ARGV[1]), o = tonumber(ARGV[2]), ep = 0, x = nil, dirty = {}}
local nplans = tonumber(ARGV[3])
st.ep = fence
setField(st, '#e', int(fence))
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
setField(st, '#seeded', mark)
setField(st, '#v', int(st.v))
setField(st, '#o', int(st.o))
st.v0, st.o0 = st.v, st.o
-- The hash must exist before its expiry is set.
flush(st)
keepAlive(st)
flush(st)
return 1
