-- The Merkle log keeps its tree nodes from level 4 up (tlog.KeptLevel): a
-- lower node is the hash of at most 16 leaves, each the leaf hash of a
-- stored event's hash, and tlog computes it from the events when a proof
-- needs it. The hashes are the same; the rows below level 4 (15 of every
-- 16 nodes) are no longer read.

-- +goose Up
DELETE FROM tree_nodes WHERE level < 4;

-- +goose Down
-- Nothing to restore: the deleted nodes follow from the events. A binary
-- from before this migration would need them for proofs; run that one on a
-- database restored from before the upgrade.
SELECT 1;
