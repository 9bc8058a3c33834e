-- decide.lua: coord.State.Decide for one plan, atomically.
--
-- KEYS[1] the state hash, KEYS[2..] the counter keys of the counters in
-- ARGV, in the same order.
-- ARGV[1] now (unix ms), ARGV[2] inspection id, ARGV[3] agency,
-- ARGV[4] start, ARGV[5] end (unix ms), ARGV[6] exempt ("1" or "0"),
-- ARGV[7] the joint inspection's minimum common time (ms), ARGV[8] confirm
-- by (unix ms; 0: confirmed at once), ARGV[9] not an inspection ("1" or
-- "0": State's Plan.NotInspection, never merged), ARGV[10] a late record
-- ("1" or "0": Plan.Late, a duplicate of its agency's ended plans too), then
-- seven per counter of Policy.Counters: name, expireAt (unix ms), visit ("1"
-- or "0"), cap, warn (-1: none), rule, period.
--
-- Returns the decision as cjson (see describe); {"seed":true} when the
-- enterprise has no state yet (Go seeds it from the store and asks again);
-- or {"check":[ids]} when pending plans have passed their confirm-by time
-- (Go asks the store whether they were written, settles them with
-- settle.lua, and asks again).

local now = tonumber(ARGV[1])
local id, agency = ARGV[2], ARGV[3]
local start, stop = tonumber(ARGV[4]), tonumber(ARGV[5])
local exempt = ARGV[6] == '1'
local minCommon = tonumber(ARGV[7])
local confirmBy = tonumber(ARGV[8])
local notInspection = ARGV[9] == '1'
local late = ARGV[10] == '1'
local counters = {}
for i = 11, #ARGV, 7 do
	table.insert(counters, {
		name = ARGV[i],
		exp = tonumber(ARGV[i + 1]),
		visit = ARGV[i + 2] == '1',
		cap = tonumber(ARGV[i + 3]),
		warn = tonumber(ARGV[i + 4]),
		rule = ARGV[i + 5],
		period = ARGV[i + 6],
	})
end

local st = loadState()
if not st.seeded then
	return cjson.encode({seed = true})
end
prune(st, now)

local expired = {}
for _, o in ipairs(sorted(st)) do
	if o.cb ~= 0 and o.cb <= now then
		table.insert(expired, o.id)
	end
end
if #expired > 0 then
	flush(st)
	return cjson.encode({check = expired})
end

local old = st.plans[id]
if old ~= nil then
	if not (old.a == agency and old.s == start and old.e == stop and old.x == exempt and old.ni == notInspection) then
		-- The same id for another request: the first stands.
		return finish(st, {o = DUPLICATE, x = old.id, j = old.j, v = st.v})
	end
	-- A retry answers what was decided, and holds a pending plan as long as
	-- the retry asks.
	if old.cb ~= 0 and confirmBy > old.cb then
		old.cb = confirmBy
		savePlan(st, old)
	end
	if old.nv then
		return finish(st, describe(st, old, ACCEPTED))
	end
	return finish(st, describe(st, old, JOINED))
end

for _, o in ipairs(sorted(st)) do
	-- A closed plan is over whatever its window says (coord.Plan.Closed).
	if o.a == agency and ((o.e > now and not o.cd) or late) and o.s < stop and start < o.e then
		return finish(st, {o = DUPLICATE, x = o.id, j = o.j, v = st.v})
	end
end

-- State.groups: the visits in the order of their first plans, with their
-- common time.
local groups, byJoint = {}, {}
for _, o in ipairs(sorted(st)) do
	local g = nil
	if o.j ~= '' then
		g = byJoint[o.j]
	end
	if g == nil then
		g = {members = {}, s = o.s, e = o.e, cd = false}
		table.insert(groups, g)
		if o.j ~= '' then
			byJoint[o.j] = g
		end
	end
	table.insert(g.members, o)
	g.s, g.e = math.max(g.s, o.s), math.min(g.e, o.e)
	g.cd = g.cd or o.cd
end
local best, bestOverlap = nil, 0
for _, g in ipairs(groups) do
	-- A visit that is not an inspection joins none and is joined by none;
	-- one an agency closed took place, and is joined by none.
	if g.e > now and not g.cd and not notInspection and not g.members[1].ni then
		local ov = math.min(g.e, stop) - math.max(g.s, start)
		-- State.joinNeed: the minimum, or all of the common time or of the
		-- plan if either is shorter.
		local need = math.min(minCommon, g.e - g.s, stop - start)
		if ov > 0 and ov >= need and ov > bestOverlap then
			best, bestOverlap = g, ov
		end
	end
end

local newVisit = best == nil
local names = {}
for _, c in ipairs(counters) do
	table.insert(names, c.name)
end
fetch(st, names)
local warnings = {}
for _, c in ipairs(counters) do
	if newVisit or not c.visit then
		local n = count(st, c.name) + 1
		if c.cap >= 0 and n > c.cap then
			return finish(st, {o = CAPPED, cap = {rule = c.rule, limit = c.cap, count = n, period = c.period}, v = st.v})
		end
		if c.warn >= 0 and n > c.warn then
			table.insert(warnings, {rule = c.rule, limit = c.warn, count = n, period = c.period})
		end
	end
end
if #warnings == 0 then
	warnings = nil
end

st.v = st.v + 1
st.o = st.o + 1
local ps = {id = id, a = agency, s = start, e = stop, x = exempt, ni = notInspection, j = '', nv = newVisit, o = st.o, c = {}, vk = {}, k = 0, cb = confirmBy}
for _, c in ipairs(counters) do
	if c.visit then
		table.insert(ps.vk, {c.name, c.exp})
	end
	if c.exp > ps.k then
		ps.k = c.exp
	end
	if newVisit or not c.visit then
		add(st, c.name, 1, c.exp)
		table.insert(ps.c, c.name)
	end
end
st.plans[id] = ps

if newVisit then
	savePlan(st, ps)
	local d = describe(st, ps, ACCEPTED)
	d.w = warnings
	return finish(st, d)
end

local regrouped = nil
local first = best.members[1]
if first.j == '' then
	-- A plan alone becomes a joint inspection, named after it.
	local name = first.id
	if startsWith(name, 'INS-') then
		name = string.sub(name, 5)
	end
	first.j = 'JNT-' .. name
	regrouped = {first.id}
	savePlan(st, first)
end
ps.j = first.j
savePlan(st, ps)

local d = describe(st, ps, JOINED)
d.r = regrouped
d.w = warnings
return finish(st, d)
