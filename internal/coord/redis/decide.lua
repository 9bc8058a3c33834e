-- decide.lua: coord.State.Decide for one plan, atomically.
--
-- KEYS[1] the state hash, KEYS[2..] the counter keys of the counters in
-- ARGV, in the same order.
-- ARGV[1] now (unix ms), ARGV[2] inspection id, ARGV[3] agency,
-- ARGV[4] start, ARGV[5] end (unix ms), ARGV[6] exempt ("1" or "0"),
-- then seven per counter of Policy.Counters: name, expireAt (unix ms),
-- visit ("1" or "0"), cap, warn (-1: none), rule, period.
--
-- Returns the decision as cjson (see describe), or {"seed":true} when the
-- enterprise has no state yet: Go seeds it from the store and asks again.

local now = tonumber(ARGV[1])
local id, agency = ARGV[2], ARGV[3]
local start, stop = tonumber(ARGV[4]), tonumber(ARGV[5])
local exempt = ARGV[6] == '1'
local counters = {}
for i = 7, #ARGV, 7 do
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

local old = st.plans[id]
if old ~= nil then
	-- A retry after a lost reply answers what was decided.
	if old.j ~= '' then
		return finish(st, describe(st, old, JOINED))
	end
	return finish(st, describe(st, old, ACCEPTED))
end

local dup = nil
local touching, touched = {}, {}
for _, o in ipairs(sorted(st)) do
	if o.s < stop and start < o.e then
		if o.a == agency then
			if dup == nil then
				dup = o
			end
		else
			table.insert(touching, o)
			touched[o] = true
		end
	end
end
if dup ~= nil then
	return finish(st, {o = DUPLICATE, x = dup.id, j = dup.j, v = st.v})
end

local newVisit = #touching == 0
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
local ps = {id = id, a = agency, s = start, e = stop, x = exempt, j = '', nv = newVisit, o = st.o, c = {}}
for _, c in ipairs(counters) do
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

-- Join: every plan this one touches, with everything already grouped with
-- them, becomes one joint inspection, named by the smallest existing joint
-- id among them, or after the earliest plan.
local groups, target = {}, ''
for _, o in ipairs(touching) do
	if o.j ~= '' then
		groups[o.j] = true
		if target == '' or less(o.j, target) then
			target = o.j
		end
	end
end
if target == '' then
	local first = touching[1].id
	if startsWith(first, 'INS-') then
		first = string.sub(first, 5)
	end
	target = 'JNT-' .. first
end

-- State.dropVisit: two visits bridged into one, the later one gives its
-- visit counts back.
local function dropVisit(o)
	local kept = {}
	for _, name in ipairs(o.c) do
		if startsWith(name, 'v:') then
			add(st, name, -1, nil)
		else
			table.insert(kept, name)
		end
	end
	o.c, o.nv = kept, false
end

local regrouped = {}
local merged = 0
local holder = nil
for _, o in ipairs(sorted(st)) do
	if o == ps or touched[o] or (o.j ~= '' and groups[o.j]) then
		if o ~= ps and o.j ~= target then
			table.insert(regrouped, o.id)
		end
		o.j = target
		if o.nv then
			if holder == nil then
				holder = o
			else
				dropVisit(o)
				merged = merged + 1
			end
		end
		savePlan(st, o)
	end
end

local d = describe(st, ps, JOINED)
if #regrouped > 0 then
	d.r = regrouped
end
if merged > 0 then
	d.vm = merged
end
d.w = warnings
return finish(st, d)
