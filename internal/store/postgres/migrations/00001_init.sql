-- The record of ruqi on PostgreSQL. Records are the same bytes bbolt keeps
-- (binary protobuf, or JSON for records the API never shows) in bytea
-- columns; only what lookups and lists need is a column of its own. Keys are
-- COLLATE "C" so that lists come in byte order, as bbolt's do.
-- Plain SQL without extensions, for PostgreSQL and the databases that speak it.

-- +goose Up
CREATE TABLE agencies (
    id  text COLLATE "C" PRIMARY KEY,
    rec bytea NOT NULL
);

CREATE TABLE officers (
    id        text COLLATE "C" PRIMARY KEY,
    agency_id text COLLATE "C" NOT NULL,
    rec       bytea NOT NULL
);
CREATE INDEX officers_by_agency ON officers (agency_id, id);

CREATE TABLE enterprises (
    uscc text COLLATE "C" PRIMARY KEY,
    rec  bytea NOT NULL
);

CREATE TABLE check_items (
    id        text COLLATE "C" PRIMARY KEY,
    agency_id text COLLATE "C" NOT NULL,
    rec       bytea NOT NULL
);
CREATE INDEX check_items_by_agency ON check_items (agency_id, id);

CREATE TABLE inspections (
    id              text COLLATE "C" PRIMARY KEY,
    enterprise_uscc text COLLATE "C" NOT NULL,
    rec             bytea NOT NULL
);
CREATE INDEX inspections_by_enterprise ON inspections (enterprise_uscc, id);

CREATE TABLE codes (
    inspection_id text COLLATE "C" NOT NULL,
    officer_id    text COLLATE "C" NOT NULL,
    rec           bytea NOT NULL,
    PRIMARY KEY (inspection_id, officer_id)
);

CREATE TABLE requests (
    request_id    text COLLATE "C" PRIMARY KEY,
    inspection_id text COLLATE "C" NOT NULL
);

CREATE TABLE check_ins (
    token_id bytea PRIMARY KEY,
    rec      bytea NOT NULL
);

CREATE TABLE access_tokens (
    hash    bytea PRIMARY KEY,
    id      text COLLATE "C" NOT NULL UNIQUE,
    role    integer NOT NULL,
    subject text COLLATE "C" NOT NULL,
    rec     bytea NOT NULL
);
CREATE INDEX access_tokens_by_subject ON access_tokens (role, subject, id);

CREATE TABLE signing_keys (
    id  text COLLATE "C" PRIMARY KEY,
    rec bytea NOT NULL
);

CREATE TABLE joint_inspections (
    id  text COLLATE "C" PRIMARY KEY,
    rec bytea NOT NULL
);

CREATE TABLE joint_of (
    inspection_id text COLLATE "C" PRIMARY KEY,
    joint_id      text COLLATE "C" NOT NULL,
    version       bigint NOT NULL
);

-- A counter is its folded total in counts plus the deltas not folded yet.
-- AddCount only inserts a delta, so concurrent writers of a hot report
-- counter never update one row (which serializable transactions would
-- abort); the sequencer folds deltas into counts in the background.
CREATE TABLE counts (
    key text COLLATE "C" PRIMARY KEY,
    n   bigint NOT NULL
);
CREATE TABLE count_deltas (
    id  bigserial PRIMARY KEY,
    key text COLLATE "C" NOT NULL,
    n   bigint NOT NULL
);
CREATE INDEX count_deltas_by_key ON count_deltas (key);

CREATE TABLE evaluations (
    inspection_id text COLLATE "C" PRIMARY KEY,
    agency_id     text COLLATE "C" NOT NULL,
    rec           bytea NOT NULL
);
CREATE INDEX evaluations_by_agency ON evaluations (agency_id, inspection_id);

CREATE TABLE leads (
    id  text COLLATE "C" PRIMARY KEY,
    rec bytea NOT NULL
);

-- The hash-chained log: events as sequenced, rec holding seq, prev_hash and
-- hash. Business transactions only insert into pending_events; one sequencer
-- at a time moves them here in batches (Trillian's unsequenced queue).
CREATE TABLE events (
    seq bigint PRIMARY KEY,
    rec bytea NOT NULL
);
CREATE TABLE pending_events (
    id  bigserial PRIMARY KEY,
    rec bytea NOT NULL
);

-- The Merkle log over the sequenced events (internal/tlog): perfect
-- subtrees' hashes, signed checkpoints by tree size, and each integrated
-- event's seq under its enterprise.
CREATE TABLE tree_nodes (
    level integer NOT NULL,
    idx   bigint NOT NULL,
    hash  bytea NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE checkpoints (
    size bigint PRIMARY KEY,
    note bytea NOT NULL
);
CREATE TABLE events_by_enterprise (
    uscc text COLLATE "C" NOT NULL,
    seq  bigint NOT NULL,
    PRIMARY KEY (uscc, seq)
);

-- +goose Down
DROP TABLE events_by_enterprise, checkpoints, tree_nodes, pending_events, events, leads, evaluations, count_deltas, counts, joint_of,
    joint_inspections, signing_keys, access_tokens, check_ins, requests, codes, inspections,
    check_items, enterprises, officers, agencies;
