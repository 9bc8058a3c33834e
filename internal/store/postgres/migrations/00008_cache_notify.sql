-- +goose Up
-- The read cache (internal/store/cache) of every replica holds directory
-- records and access tokens. A change to one of them (an UPDATE or DELETE;
-- an INSERT makes nothing cached stale, the cache keeping no misses) sends
-- its key on the channel ruqi_cache at commit, so that every replica drops
-- it (Store.Watch). Only these rare writes notify: NOTIFY takes a
-- database-wide lock at commit, which the hot writes (check-ins, events,
-- registrations) must not.
-- +goose StatementBegin
CREATE FUNCTION ruqi_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ruqi_cache', TG_TABLE_NAME || ' ' || (to_jsonb(OLD) ->> TG_ARGV[0]));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER agencies_cache AFTER UPDATE OR DELETE ON agencies
    FOR EACH ROW EXECUTE FUNCTION ruqi_cache_notify('id');
CREATE TRIGGER officers_cache AFTER UPDATE OR DELETE ON officers
    FOR EACH ROW EXECUTE FUNCTION ruqi_cache_notify('id');
CREATE TRIGGER enterprises_cache AFTER UPDATE OR DELETE ON enterprises
    FOR EACH ROW EXECUTE FUNCTION ruqi_cache_notify('uscc');
CREATE TRIGGER check_items_cache AFTER UPDATE OR DELETE ON check_items
    FOR EACH ROW EXECUTE FUNCTION ruqi_cache_notify('id');
CREATE TRIGGER access_tokens_cache AFTER UPDATE OR DELETE ON access_tokens
    FOR EACH ROW EXECUTE FUNCTION ruqi_cache_notify('hash');

-- +goose Down
DROP TRIGGER access_tokens_cache ON access_tokens;
DROP TRIGGER check_items_cache ON check_items;
DROP TRIGGER enterprises_cache ON enterprises;
DROP TRIGGER officers_cache ON officers;
DROP TRIGGER agencies_cache ON agencies;
DROP FUNCTION ruqi_cache_notify();
