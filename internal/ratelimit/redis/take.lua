-- take.lua: ratelimit.Step, atomically, on one principal's key.
--
-- KEYS[1] the principal's theoretical arrival time (unix ms).
-- ARGV[1] now (unix ms), ARGV[2] every (ms), ARGV[3] burst.
--
-- Returns 0 when the call may go ahead (the time moved by every, kept until
-- it passes), or the milliseconds until one may (nothing written).

local now, every, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
	tat = now
end
local room = (burst - 1) * every
if tat - now > room then
	return tat - now - room
end
tat = tat + every
redis.call('SET', KEYS[1], tat, 'PX', tat - now)
return 0
