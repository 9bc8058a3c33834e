package postgres

import (
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A row of events holds one event (n = 1, as the sequencer writes it) or,
// once the events are in the Merkle log, a sealed block of n events from
// seq on (store.EncodeEventBlock; migration 00009), as bbolt keeps them
// (internal/store/bolt/events.go). A row per event took 2.5 KB of the 7.2
// KB a plan cost on PostgreSQL: each event's tuple header, its index entry
// and fields that repeat from one event to the next, which a block
// compresses together.
//
// Blocks are aligned, events 512·b+1 to 512·b+512, and sealed in order
// from events_sealed.next; a run that cannot be sealed (a chain broken,
// kept for verification to find) stays single rows. Readers meet both in
// seq order.
const (
	blockEvents = 512
	// maxSealBlocks bounds the blocks one SealEvents writes: a database
	// upgraded with millions of unsealed events is sealed a part at each
	// integration, not in one transaction.
	maxSealBlocks = 16
)

// eventRow is a row of events.
type eventRow struct {
	seq uint64
	n   uint64
	rec []byte
}

func (r eventRow) last() uint64 { return r.seq + r.n - 1 }

// lastHash is the stored hash of the row's last event.
func (r eventRow) lastHash() ([]byte, error) {
	if r.n > 1 {
		_, h, err := store.EventBlockHeader(r.rec)
		return h, err
	}
	return store.EventHashOf(r.rec)
}

// walk calls fn with the row's events, the first following an event whose
// hash is prev, until fn returns an error.
func (r eventRow) walk(prev []byte, fn func(*ruqiv1.Event) error) error {
	if r.n > 1 {
		return store.WalkEventBlock(r.seq, prev, r.rec, fn)
	}
	e, err := store.DecodeEvent(r.seq, prev, r.rec)
	if err != nil {
		return fmt.Errorf("event %d: %w", r.seq, err)
	}
	return fn(e)
}

func scanEventRow(row pgx.CollectableRow) (eventRow, error) {
	var seq, n int64
	var r eventRow
	err := row.Scan(&seq, &n, &r.rec)
	r.seq, r.n = uint64(seq), uint64(n)
	if err == nil && (seq < 1 || n < 1) {
		err = fmt.Errorf("events: row at %d holds %d events", seq, n)
	}
	return r, err
}

// headerBytes is more than a block's header takes (store.EventBlockHeader:
// two bytes, the count, the last hash): what lastHash reads of a block.
const headerBytes = 128

// rowAtOrBefore returns the row that starts at seq or, if none does, the
// last before it: the one that holds seq if any does. Of a block it reads
// the header only (enough for last and lastHash, not for walk).
func (t *txn) rowAtOrBefore(seq uint64) (eventRow, bool, error) {
	rows, err := t.query("SELECT seq, n, CASE WHEN n > 1 THEN substring(rec FROM 1 FOR $2) ELSE rec END FROM events WHERE seq <= $1 ORDER BY seq DESC LIMIT 1", int64(seq), headerBytes)
	if err != nil {
		return eventRow{}, false, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanEventRow)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventRow{}, false, nil
	}
	return r, err == nil, t.note(err)
}

// prevHash returns the stored hash of event seq−1, the predecessor of a
// row that starts at seq, or nil if there is none (seq 1, or a gap).
func (t *txn) prevHash(seq uint64) ([]byte, error) {
	if seq <= 1 {
		return nil, nil
	}
	r, ok, err := t.rowAtOrBefore(seq - 1)
	if err != nil || !ok || r.last() != seq-1 {
		return nil, err
	}
	return r.lastHash()
}

// Events re-reads each event's prev_hash from its predecessor's stored hash
// (lean events do not repeat it), starting with the hash of the event
// before the first row it reads.
func (t *txn) Events(afterSeq uint64, fn func(*ruqiv1.Event) error) error {
	if afterSeq >= math.MaxInt64 {
		return nil // seq is a bigint: none follows
	}
	from := afterSeq + 1
	var prev []byte
	if afterSeq > 0 {
		r, ok, err := t.rowAtOrBefore(afterSeq)
		switch {
		case err != nil:
			return err
		case ok && r.last() == afterSeq:
			if prev, err = r.lastHash(); err != nil {
				return fmt.Errorf("event %d: %w", afterSeq, err)
			}
		case ok && r.last() > afterSeq: // inside a block: read from its start
			from = r.seq
			if prev, err = t.prevHash(from); err != nil {
				return err
			}
		}
	}
	// Pages grow from one row: a reader after one event (a receipt) reads
	// one block, not a page of them (a block is some 20 KB).
	for page := 1; ; page = min(4*page, eventsPage) {
		rows, err := t.query("SELECT seq, n, rec FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2", int64(from), page)
		if err != nil {
			return err
		}
		// Collected, so the query is closed before fn runs: fn may read
		// the store too.
		recs, err := pgx.CollectRows(rows, scanEventRow)
		if err != nil {
			return t.note(err)
		}
		for _, r := range recs {
			err := r.walk(prev, func(e *ruqiv1.Event) error {
				prev = e.GetHash()
				if e.GetSeq() <= afterSeq {
					return nil
				}
				return fn(e)
			})
			if errors.Is(err, store.ErrStop) {
				return nil
			}
			if err != nil {
				return err
			}
			from = r.last() + 1
		}
		if len(recs) < page {
			return nil
		}
	}
}

func (t *txn) Head() (uint64, []byte, error) {
	rows, err := t.query("SELECT seq, n, CASE WHEN n > 1 THEN substring(rec FROM 1 FOR $1) ELSE rec END FROM events ORDER BY seq DESC LIMIT 1", headerBytes)
	if err != nil {
		return 0, nil, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanEventRow)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, t.note(err)
	}
	h, err := r.lastHash()
	if err != nil {
		return 0, nil, err
	}
	return r.last(), h, nil
}

// SealEvents packs the complete, aligned runs of single events up to seq
// size into blocks, up to maxSealBlocks of them, from where the last call
// stopped (events_sealed). A run that cannot be sealed is tried once and
// passed over, as bbolt does (events.sealed_next): counted against the
// bound and started from again, sixteen such runs stopped sealing for
// good, and one was read again at every integration (a review,
// 2026-12-06).
func (t *txn) SealEvents(size uint64) error {
	next := uint64(1)
	var stored int64
	err := t.queryRow("SELECT next FROM events_sealed").Scan(&stored)
	switch {
	case err == nil:
		next = uint64(stored)
	case !errors.Is(err, pgx.ErrNoRows):
		return t.note(err)
	}
	start := next
	for sealed := 0; sealed < maxSealBlocks && next+blockEvents-1 <= size; sealed, next = sealed+1, next+blockEvents {
		if err := t.sealBlock(next); err != nil {
			return err
		}
	}
	if next == start {
		return nil
	}
	return t.exec("INSERT INTO events_sealed (next) VALUES ($1) ON CONFLICT (one) DO UPDATE SET next = excluded.next", int64(next))
}

// sealBlock replaces events first to first+511 by their block if all are
// single rows and make a block that reads back as they do; otherwise it
// leaves them as they are.
func (t *txn) sealBlock(first uint64) error {
	prev, err := t.prevHash(first)
	if err != nil {
		return err
	}
	rows, err := t.query("SELECT seq, n, rec FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq", int64(first), int64(first+blockEvents))
	if err != nil {
		return err
	}
	recs, err := pgx.CollectRows(rows, scanEventRow)
	if err != nil {
		return t.note(err)
	}
	if len(recs) != blockEvents {
		return nil
	}
	es := make([]*ruqiv1.Event, 0, blockEvents)
	p := prev
	for i, r := range recs {
		if r.n != 1 || r.seq != first+uint64(i) {
			return nil
		}
		e, err := store.DecodeEvent(r.seq, p, r.rec)
		if err != nil {
			return err
		}
		es, p = append(es, e), e.GetHash()
	}
	blk, err := store.EncodeEventBlock(es, prev)
	if err != nil || blk == nil {
		return err
	}
	if err := t.exec("DELETE FROM events WHERE seq >= $1 AND seq < $2", int64(first), int64(first+blockEvents)); err != nil {
		return err
	}
	return t.exec("INSERT INTO events (seq, n, rec) VALUES ($1, $2, $3)", int64(first), blockEvents, blk)
}
