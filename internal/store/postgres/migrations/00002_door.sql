-- +goose Up
-- The enterprise code (企业码, the latest generation only) and officers'
-- arrivals recorded by scanning it (两码互核), issue 15.
CREATE TABLE enterprise_codes (
    uscc text COLLATE "C" PRIMARY KEY,
    rec  bytea NOT NULL
);

CREATE TABLE arrivals (
    inspection_id text COLLATE "C" NOT NULL,
    officer_id    text COLLATE "C" NOT NULL,
    rec           bytea NOT NULL,
    PRIMARY KEY (inspection_id, officer_id)
);

-- +goose Down
DROP TABLE arrivals, enterprise_codes;
