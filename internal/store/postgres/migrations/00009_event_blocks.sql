-- +goose Up
-- Sealed event blocks (internal/store/postgres/events.go): a row of events
-- holds n events from seq on, 1 as the sequencer writes it, 512 once the
-- integrated events are sealed into a block. Adding a column with a
-- constant default rewrites no row.
ALTER TABLE events ADD COLUMN n integer NOT NULL DEFAULT 1;
-- Where sealing goes on: the last block. One entry per 512 events.
CREATE INDEX events_blocks ON events (seq) WHERE n > 1;

-- +goose Down
-- Blocks cannot be unsealed in SQL: going back is refused while there are
-- any (restore a backup taken before the upgrade instead).
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM events WHERE n > 1) THEN
        RAISE EXCEPTION 'events are sealed into blocks: restore a backup taken before migration 00009 instead';
    END IF;
END
$$;
-- +goose StatementEnd
DROP INDEX events_blocks;
ALTER TABLE events DROP COLUMN n;
