-- +goose Up
-- Sealed event blocks (internal/store/postgres/events.go): a row of events
-- holds n events from seq on, 1 as the sequencer writes it, 512 once the
-- integrated events are sealed into a block. Adding a column with a
-- constant default rewrites no row.
ALTER TABLE events ADD COLUMN n integer NOT NULL DEFAULT 1;
-- Where sealing goes on, as bbolt keeps events.sealed_next: the first run
-- not yet sealed or passed over. A run that cannot be sealed (a chain
-- broken, kept for verification to find) is passed over for good, not
-- tried again at every integration ahead of the runs after it. One row.
CREATE TABLE events_sealed (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    next bigint NOT NULL
);
-- A counter back at zero reads as none: the sequencer drops it as it folds
-- (foldCounts). Those kept before, the start counts of every hour gone by
-- among them, go once here.
DELETE FROM counts WHERE n = 0;

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
DROP TABLE events_sealed;
ALTER TABLE events DROP COLUMN n;
