-- Inspection plans (检查计划, issue 16): one row per plan, every version in
-- rec (binary ruqi.v1.Plan), listed by agency.

-- +goose Up
CREATE TABLE inspection_plans (
    id        text COLLATE "C" PRIMARY KEY,
    agency_id text COLLATE "C" NOT NULL,
    rec       bytea NOT NULL
);
CREATE INDEX inspection_plans_by_agency ON inspection_plans (agency_id, id);

-- +goose Down
DROP TABLE inspection_plans;
