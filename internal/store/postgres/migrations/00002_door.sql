-- +goose Up
-- The enterprise code (企业码, the latest generation only), officers'
-- arrivals recorded by scanning it (两码互核), and officers' check-ins by
-- time (one officer at two enterprises at once), issue 15.
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

-- at is Unix nanoseconds, as bbolt's index orders them.
CREATE TABLE officer_check_ins (
    officer_id text COLLATE "C" NOT NULL,
    at         bigint NOT NULL,
    token_id   bytea NOT NULL,
    PRIMARY KEY (officer_id, at, token_id)
);

-- +goose Down
DROP TABLE officer_check_ins, arrivals, enterprise_codes;
