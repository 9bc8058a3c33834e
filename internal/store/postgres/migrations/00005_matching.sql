-- 拼团 matching: the plans' coverage agencies submit, the proposed joint
-- visits, and each proposal indexed under its member agencies.

-- +goose Up
CREATE TABLE matching_coverages (
    key text COLLATE "C" PRIMARY KEY,
    rec bytea NOT NULL
);
CREATE TABLE matching_proposals (
    id  text COLLATE "C" PRIMARY KEY,
    rec bytea NOT NULL
);
CREATE TABLE matching_proposal_members (
    agency_id   text COLLATE "C" NOT NULL,
    proposal_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (agency_id, proposal_id)
);

-- +goose Down
DROP TABLE matching_proposal_members, matching_proposals, matching_coverages;
