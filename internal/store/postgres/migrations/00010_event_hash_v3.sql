-- +goose Up
-- Events of hash version 3 (store.EventHash: seq, time and type under the
-- hash). Nothing in the tables changes; the schema version does, so that a
-- version of ruqi before it refuses this database at start (Open: "migrated
-- by a newer version") rather than recompute v3 events' hashes wrong
-- inside sealed blocks and call the chain broken.
COMMENT ON TABLE events IS 'ruqi events; hash versions 1-3 (store.HashVersion)';

-- +goose Down
COMMENT ON TABLE events IS NULL;
