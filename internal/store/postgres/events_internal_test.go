package postgres

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	k, err := c.Conn.Read(b)
	c.n.Add(int64(k))
	return k, err
}

// Found by a review of the sealing (2026-12-06). "A receipt reads one block": reading one event from inside
// a block fetches that block's whole row twice (rowAtOrBefore, then the
// first page) and the previous block's whole row once (prevHash), where
// only the previous block's header (its last hash, some 40 bytes) is
// needed besides the block itself. Head() and the start of every
// integration (Events(size) after a block) fetch a whole block for its
// header too.
func TestEvents_OneEventFromABlock_FetchesOneBlock(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Start(t).NewDatabase(t)
	o := DefaultOptions()
	o.SequenceInterval = 20 * time.Millisecond
	s, err := Open(ctx, url, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < 1030; i++ {
			e := &ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, EnterpriseUscc: "91350100M000100Y43", Actor: "enterprise:91350100M000100Y43", Detail: "scan"}
			store.Salt(e)
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitSequenced(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.SealEvents(1030) }); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &got}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var blockBytes int64
	if err := conn.QueryRow(ctx, "SELECT length(rec) FROM events WHERE seq = 513 AND n = 512").Scan(&blockBytes); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	r := &txn{ctx: ctx, tx: tx}
	for _, c := range []struct {
		what  string
		after uint64
	}{{"receipt of event 700 (inside block 513–1024)", 699}, {"walk after 1024 (a block's last, as an integration at size 1024 starts)", 1024}} {
		got.Store(0)
		err = r.Events(c.after, func(e *ruqiv1.Event) error { return store.ErrStop })
		if err != nil {
			t.Fatal(err)
		}
		if n := got.Load(); n > blockBytes*3/2 {
			t.Errorf("%s: %d bytes from the server, %.1f blocks of %d", c.what, n, float64(n)/float64(blockBytes), blockBytes)
		}
	}
}
