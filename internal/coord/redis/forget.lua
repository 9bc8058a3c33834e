-- forget.lua: drops everything held for the enterprise: its state hash and
-- every counter the hash lists. The next decision seeds it again.
--
-- KEYS[1] the state hash.
--
-- Returns the number of keys deleted.

local keys = {stateKey}
local raw = redis.call('HGETALL', stateKey)
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
