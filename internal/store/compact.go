package store

import (
	"context"
	"time"
)

// Compacter is a store that can rewrite its file to give back the space
// that deleted and half-filled pages hold (bbolt). A store whose engine
// does this itself (PostgreSQL: VACUUM) does not implement it.
type Compacter interface {
	// Compact rewrites the store. Writes wait until it is done; reads go on.
	Compact(ctx context.Context) (CompactReport, error)
}

// CompactReport is what a compaction did.
type CompactReport struct {
	BytesBefore, BytesAfter int64
	Took                    time.Duration
}
