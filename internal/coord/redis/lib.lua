-- lib.lua: what decide.lua, withdraw.lua, seed.lua and forget.lua share. Go
-- prepends it to each of them, so every script is one self-contained EVAL.
--
-- One enterprise's keys, all under the hash tag {USCC} so that they hash to
-- one Redis Cluster slot:
--   KEYS[1] ruqi:{USCC}:p          hash: the enterprise's state
--             <inspection id>      cjson of a plan held (see decodePlan)
--             #v, #o               version, order counter
--             #seeded              seededMark() once seeded from the store
--             #e                   the store's fence the state stands on
--                                  (coord.Seed.Fence; absent: 0)
--             #c:<name>            logical expiry (unix ms) of a live counter
--             #x                   when Redis expires this hash (unix ms)
--           ruqi:{USCC}:c:<name>   string: the count of one calendar period
--
-- Inspection ids never start with "#" (Go refuses them), so a field is a plan
-- or state, never both.
--
-- Counter keys the caller names are passed in KEYS by Go. The scripts touch
-- other counter keys too, which only Redis knows: those charged by stored
-- plans (a bridged visit given back, a withdrawal) and those listed in the
-- hash (pruning, forgetting). They are built here from KEYS[1]'s own prefix,
-- so they carry the same hash tag and live in the same slot: still one slot
-- per script, and Cluster-safe.
--
-- Time: every decision compares with ARGV's now (unix ms, from the caller),
-- never with Redis's clock, exactly as coord.State does: a count is live
-- while its logical expiry is after now. Redis's own expiries only collect
-- garbage. A counter key expires at its logical expiry, or a grace period
-- after Redis's clock (TIME) if that is later: PEXPIREAT in the past deletes
-- a key at once, and a caller whose now is behind Redis's clock (a test in
-- a past year, a replica's clock behind) must not lose its counts. The hash
-- expires once no plan is open and no count is live (and not within a grace
-- period of a write); the next decision then seeds the enterprise from the
-- store again, which is the record.

local stateKey = KEYS[1]
local prefix = string.sub(stateKey, 1, -2) -- "ruqi:{USCC}:"
local GRACE = 86400000 -- ms: one day
local CHUNK = 1000 -- arguments per variadic call, well below Lua's stack limit

local ACCEPTED, JOINED, DUPLICATE, CAPPED = 1, 2, 3, 4

-- SCHEMA is what #seeded holds: a state written by an older layout ("1":
-- plans pruned at their window's end, joint inspections by the transitive
-- rule; "2": late records exempt from the caps and counters lapsing a day
-- after their period; "3": closed inspections not marked, still joined and
-- duplicated until their window's end) counts as not seeded, so the store,
-- where the rule is applied, is read again.
local SCHEMA = '4'

-- seededMark is what #seeded holds for a state seeded by this Redis
-- process in its present role: SCHEMA, the process's run id, which every
-- start of redis-server draws anew, and its replication id, which every
-- promotion to master draws anew. A Redis that comes back with an older
-- copy of its data (an RDB snapshot or AOF after a crash, a replica
-- promoted by a failover before it had the last writes, the old master
-- promoted again after it took that replica's copy) holds states that lack
-- the plans decided since, and their fences may still be the store's;
-- marked otherwise, they count as not seeded and are seeded again from the
-- store, as after a restart empty, whose reseed raises the fence. (The
-- replication id: a review, 2026-12-05, failed over and back.)
local function seededMark()
	local id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
	local repl = string.match(redis.call('INFO', 'replication'), 'master_replid:(%x+)')
	if id == nil or repl == nil then
		error('coord/redis: INFO names no run_id or master_replid')
	end
	return SCHEMA .. ':' .. id .. ':' .. repl
end

local function counterKey(name)
	return prefix .. 'c:' .. name
end

local function int(x)
	return string.format('%d', x)
end

local function startsWith(s, p)
	return string.sub(s, 1, #p) == p
end

-- Byte-wise string order, as Go's: Lua's < uses strcoll, and redis-server
-- sets LC_COLLATE from its environment.
local function less(a, b)
	for i = 1, math.min(#a, #b) do
		local x, y = string.byte(a, i), string.byte(b, i)
		if x ~= y then
			return x < y
		end
	end
	return #a < #b
end

-- redis.call(cmd, [key,] list...) in chunks.
local function callChunked(cmd, key, list, step)
	for i = 1, #list, step do
		local last = math.min(i + step - 1, #list)
		if key ~= nil then
			redis.call(cmd, key, unpack(list, i, last))
		else
			redis.call(cmd, unpack(list, i, last))
		end
	end
end

local wallClock = nil
-- Redis's clock, for garbage-collection expiries only.
local function wall()
	if wallClock == nil then
		local t = redis.call('TIME')
		wallClock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	end
	return wallClock
end

local function gcAt(logical)
	local floor = wall() + GRACE
	if logical > floor then
		return logical
	end
	return floor
end

-- A plan as stored: a agency, s/e window start/end (unix ms), x exempt, ni
-- not an inspection (absent: an inspection), cd closed (absent: open),
-- j joint id ("" alone), nv new visit, o order, c names of the counters it
-- charged, vk its visit counters as {name, expiry} (charged while it holds a
-- visit), k when the last counter it could charge lapses (unix ms), cb the
-- time by which a pending plan must be confirmed (absent: confirmed).
local function decodePlan(id, raw)
	local p = cjson.decode(raw)
	p.id = id
	if type(p.c) ~= 'table' then
		p.c = {}
	end
	if type(p.vk) ~= 'table' then
		p.vk = {}
	end
	if type(p.j) ~= 'string' then
		p.j = ''
	end
	if type(p.cb) ~= 'number' then
		p.cb = 0
	end
	if type(p.k) ~= 'number' then
		p.k = p.e
	end
	p.x = p.x == true
	p.ni = p.ni == true
	p.cd = p.cd == true
	p.nv = p.nv == true
	return p
end

local function encodePlan(p)
	local c, vk, cb, ni, cd = p.c, p.vk, p.cb, p.ni, p.cd
	if not ni then
		ni = nil
	end
	if not cd then
		cd = nil
	end
	-- cjson writes an empty table as {}; absent reads back as empty
	if #c == 0 then
		c = nil
	end
	if #vk == 0 then
		vk = nil
	end
	if cb == 0 then
		cb = nil
	end
	return cjson.encode({a = p.a, s = p.s, e = p.e, x = p.x, ni = ni, cd = cd, j = p.j, nv = p.nv, o = p.o, c = c, vk = vk, k = p.k, cb = cb})
end

-- Writes to the hash wait in st.dirty (field -> value, or false to delete)
-- and go out in one HSET and one HDEL: see flush.
local function setField(st, f, v)
	st.dirty[f] = v
end

local function savePlan(st, p)
	setField(st, p.id, encodePlan(p))
end

-- The enterprise's state: plans by id, counts (name -> logical expiry) and
-- their values as read, version, order, expiry of the hash, and whether it
-- was seeded at all.
local function loadState()
	local st = {plans = {}, counts = {}, vals = {}, v = 0, o = 0, ep = 0, x = nil, seeded = false, dirty = {}}
	local raw = redis.call('HGETALL', stateKey)
	local mark = nil
	for i = 1, #raw, 2 do
		local f, val = raw[i], raw[i + 1]
		if string.byte(f, 1) ~= 35 then -- not "#": a plan
			st.plans[f] = decodePlan(f, val)
		elseif f == '#v' then
			st.v = tonumber(val)
		elseif f == '#o' then
			st.o = tonumber(val)
		elseif f == '#x' then
			st.x = tonumber(val)
		elseif f == '#e' then
			st.ep = tonumber(val)
		elseif f == '#seeded' then
			mark = mark or seededMark()
			st.seeded = val == mark
		elseif startsWith(f, '#c:') then
			st.counts[string.sub(f, 4)] = tonumber(val)
		end
	end
	st.v0, st.o0 = st.v, st.o
	-- A live counter whose key is gone (evicted: maxmemory with a
	-- volatile-* or allkeys-* policy, and every counter key has an expiry)
	-- would read as 0 and let a plan past its cap: the state is a partial
	-- loss, not seeded, and seed.lua replaces it from the store. Only
	-- counters whose logical expiry is still ahead of Redis's clock are
	-- asked for: their keys expire no sooner, while a lapsed one's key may
	-- be collected before the next prune drops its field.
	if st.seeded then
		local keys = {}
		for name, exp in pairs(st.counts) do
			if exp > wall() then
				table.insert(keys, counterKey(name))
			end
		end
		for i = 1, #keys, CHUNK do
			local last = math.min(i + CHUNK - 1, #keys)
			if redis.call('EXISTS', unpack(keys, i, last)) ~= last - i + 1 then
				st.seeded = false
				break
			end
		end
	end
	return st
end

-- Reads the values of the live counters among names that are not read yet,
-- in one MGET.
local function fetch(st, names)
	local want, keys = {}, {}
	for _, name in ipairs(names) do
		if st.counts[name] ~= nil and st.vals[name] == nil then
			table.insert(want, name)
			table.insert(keys, counterKey(name))
		end
	end
	if #keys == 0 then
		return
	end
	local got = redis.call('MGET', unpack(keys))
	for i, name in ipairs(want) do
		st.vals[name] = tonumber(got[i]) or 0
	end
end

-- State.prune: plans none of whose counts can be live any more, and counts
-- whose period has lapsed, are gone.
local function prune(st, now)
	for id, p in pairs(st.plans) do
		if p.k <= now then
			st.plans[id] = nil
			setField(st, id, false)
		end
	end
	local lapsed, keys = {}, {}
	for name, exp in pairs(st.counts) do
		if exp <= now then
			table.insert(lapsed, name)
			table.insert(keys, counterKey(name))
		end
	end
	for _, name in ipairs(lapsed) do
		st.counts[name] = nil
		setField(st, '#c:' .. name, false)
	end
	callChunked('DEL', nil, keys, CHUNK)
end

-- State.count, after prune: every count in st.counts is live.
local function count(st, name)
	if st.counts[name] == nil then
		return 0
	end
	fetch(st, {name})
	return st.vals[name]
end

-- State.add: d is +1 (exp the counter's expiry) or -1 (exp nil).
local function add(st, name, d, exp)
	local live = st.counts[name]
	local n = d
	if live ~= nil then
		fetch(st, {name})
		n = st.vals[name] + d
		if exp == nil or exp < live then
			exp = live
		end
	end
	if n <= 0 then
		st.counts[name], st.vals[name] = nil, nil
		setField(st, '#c:' .. name, false)
		redis.call('DEL', counterKey(name))
		return
	end
	if exp ~= live then
		setField(st, '#c:' .. name, int(exp))
	end
	st.counts[name], st.vals[name] = exp, n
	redis.call('SET', counterKey(name), int(n), 'PXAT', int(gcAt(exp)))
end

local function sorted(st)
	local out = {}
	for _, p in pairs(st.plans) do
		table.insert(out, p)
	end
	table.sort(out, function(a, b)
		return a.o < b.o
	end)
	return out
end

local function members(st, joint)
	local out = {}
	for _, p in ipairs(sorted(st)) do
		if p.j == joint then
			table.insert(out, p)
		end
	end
	return out
end

-- State.describe, as the wire decision: o outcome, j joint, l lead agency,
-- m members, cs/ce common time (unix ms), nv new visit, r regrouped, h heir,
-- x existing, cap, w warnings, v version.
local function describe(st, ps, outcome)
	local d = {o = outcome, j = ps.j, v = st.v, nv = ps.nv}
	if ps.j == '' then
		d.m = {ps.id}
		d.l = ps.a
		d.cs, d.ce = ps.s, ps.e
		return d
	end
	d.m = {}
	for _, m in ipairs(members(st, ps.j)) do
		if d.l == nil then
			d.l = m.a
			d.cs, d.ce = m.s, m.e
		end
		table.insert(d.m, m.id)
		d.cs, d.ce = math.max(d.cs, m.s), math.min(d.ce, m.e)
	end
	return d
end

-- State.Withdraw: removes plan id; a visit it held passes to the earliest
-- remaining plan of its joint inspection, which charges its own visit
-- counters; a joint inspection left with one plan ends.
local function withdrawPlan(st, id, now)
	local p = st.plans[id]
	if p == nil then
		return {v = st.v}
	end
	st.v = st.v + 1
	st.plans[id] = nil
	setField(st, id, false)
	fetch(st, p.c)
	for _, name in ipairs(p.c) do
		add(st, name, -1, nil)
	end
	if p.j == '' then
		return {o = ACCEPTED, nv = p.nv, v = st.v}
	end
	local rest = members(st, p.j)
	if #rest == 0 then
		return {o = JOINED, j = p.j, nv = p.nv, v = st.v}
	end
	local heir = nil
	if p.nv then
		local h = rest[1]
		h.nv, heir = true, h.id
		for _, vk in ipairs(h.vk) do
			if now < vk[2] then
				add(st, vk[1], 1, vk[2])
				table.insert(h.c, vk[1])
			end
		end
		savePlan(st, h)
	end
	local regrouped = nil
	if #rest == 1 then
		rest[1].j = ''
		regrouped = {rest[1].id}
		savePlan(st, rest[1])
	end
	local d = describe(st, rest[1], JOINED)
	if #rest == 1 then
		d.o = ACCEPTED
	end
	d.nv, d.h, d.r = p.nv, heir, regrouped
	return d
end

-- State.Release: withdraws a plan only while it is pending and held no later
-- than heldUntil (unix ms; 0 for any hold); returns the withdrawal's
-- decision, or nil.
local function releasePlan(st, id, heldUntil, now)
	local p = st.plans[id]
	if p ~= nil and p.cb ~= 0 and (heldUntil == 0 or p.cb <= heldUntil) then
		return withdrawPlan(st, id, now)
	end
	return nil
end

-- State.Confirm.
local function confirmPlan(st, id)
	local p = st.plans[id]
	if p ~= nil and p.cb ~= 0 then
		p.cb = 0
		savePlan(st, p)
	end
end

-- Keeps the hash until no plan is open and no count is live, and at least a
-- grace period past Redis's clock. It moves the expiry a grace period further
-- than needed, so that most writes need not move it at all.
local function keepAlive(st)
	local keep = wall() + GRACE
	for _, p in pairs(st.plans) do
		if p.e > keep then
			keep = p.e
		end
	end
	for _, exp in pairs(st.counts) do
		if exp > keep then
			keep = exp
		end
	end
	if st.x ~= nil and st.x >= keep then
		return
	end
	st.x = keep + GRACE
	setField(st, '#x', int(st.x))
	redis.call('PEXPIREAT', stateKey, int(st.x))
end

-- Writes what waits in st.dirty, with the version and order counter if
-- they moved.
local function flush(st)
	if st.v ~= st.v0 then
		setField(st, '#v', int(st.v))
	end
	if st.o ~= st.o0 then
		setField(st, '#o', int(st.o))
	end
	local sets, dels = {}, {}
	for f, v in pairs(st.dirty) do
		if v then
			table.insert(sets, f)
			table.insert(sets, v)
		else
			table.insert(dels, f)
		end
	end
	callChunked('HSET', stateKey, sets, CHUNK)
	callChunked('HDEL', stateKey, dels, CHUNK)
	st.dirty, st.v0, st.o0 = {}, st.v, st.o
end

-- Takes the store's fence ep, raised by a check of pending plans or a
-- release that read the store (coord.State.TakeFence): the state stands on
-- it if it is the next after the state's own, and answers false if another
-- raise came between (the state may lack plans another state's decisions
-- committed: Go rebuilds it). 0, or a fence the state has, changes nothing.
local function takeFence(st, ep)
	if ep <= st.ep then
		return true
	end
	if ep ~= st.ep + 1 then
		return false
	end
	st.ep = ep
	setField(st, '#e', int(ep))
	return true
end

-- Deletes the state hash and every counter it lists; answers how many keys
-- it deleted.
local function dropState()
	local keys = {stateKey}
	local raw = redis.call('HGETALL', stateKey)
	local mark = nil
	for i = 1, #raw, 2 do
		if startsWith(raw[i], '#c:') then
			table.insert(keys, counterKey(string.sub(raw[i], 4)))
		end
	end
	local deleted = 0
	for i = 1, #keys, CHUNK do
		deleted = deleted + redis.call('DEL', unpack(keys, i, math.min(i + CHUNK - 1, #keys)))
	end
	return deleted
end

-- Ends a script that decided: writes the state and answers d, with the
-- fence the decision was made under.
local function finish(st, d)
	keepAlive(st)
	flush(st)
	d.ep = st.ep
	return cjson.encode(d)
end
