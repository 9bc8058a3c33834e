-- 双随机 draws (internal/draw) and accompanying supervisors (伴随式执法监督).
-- Additive: two new tables, as bbolt's random_draws and
-- accompaniments_by_inspection buckets.

-- +goose Up
CREATE TABLE random_draws (
    id  text COLLATE "C" PRIMARY KEY,
    rec bytea NOT NULL
);

-- id is derived from the inspection, the supervisor's region and name, so
-- it is unique on its own; the index lists an inspection's.
CREATE TABLE accompaniments (
    id            text COLLATE "C" PRIMARY KEY,
    inspection_id text COLLATE "C" NOT NULL,
    rec           bytea NOT NULL
);
CREATE INDEX accompaniments_by_inspection ON accompaniments (inspection_id, id);

-- +goose Down
DROP TABLE accompaniments, random_draws;
