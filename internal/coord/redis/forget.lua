-- forget.lua: drops everything held for the enterprise: its state hash and
-- every counter the hash lists. The next decision seeds it again.
--
-- KEYS[1] the state hash.
--
-- Returns the number of keys deleted.

return dropState()
