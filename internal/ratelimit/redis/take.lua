-- take.lua: ratelimit.Step, atomically, on one principal's key.
--
-- KEYS[1] the principal's theoretical arrival time (unix µs).
-- ARGV[1] now (unix µs), or "" for Redis's own clock (TIME): replicas then
-- share one clock, and none whose clock runs behind refuses everyone.
-- ARGV[2] every (µs), ARGV[3] burst.
--
-- Returns 0 when the call may go ahead (the time moved by every, kept until
-- it passes), or the microseconds until one may (nothing written). µs since
-- the epoch (about 1.8e15) are exact in Lua's doubles.

local now = tonumber(ARGV[1])
if now == nil then
	local t = redis.call('TIME')
	now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local every, burst = tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
	tat = now
end
if tat > now + burst * every then
	tat = now + burst * every
end
local room = (burst - 1) * every
if tat - now > room then
	return tat - now - room
end
tat = tat + every
-- The key lapses once it says nothing a missing key would not (a time
-- passed reads as now), but not within a second: with the caller's clock
-- (ARGV[1], the conformance suite's) a lifetime of 2 ms in Redis's time
-- lapsed between two calls on a loaded machine, and the second call, 1 ms
-- later by the caller's clock, found no key and went ahead.
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.max(1000, math.ceil((tat - now) / 1000)))
return 0
