package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An upgraded database's older rows: binary protobuf events (before
// the lean format), some without salt (ruqi.event.v1), are sealed and read
// back as they were.
func TestSealEvents_OldProtobufRows(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	s := openStore(t, url)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var prev []byte
	const n = 3*512 + 5
	var b pgx.Batch
	for i := uint64(1); i <= n; i++ {
		e := &ruqiv1.Event{Seq: i, Time: timestamppb.New(time.Date(2025, 3, 1, 9, 0, int(i%60), 0, time.UTC)), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED,
			Actor: "officer:O-1", OfficerId: "O-1", InspectionId: fmt.Sprintf("INS-20250301-%d", i%5), Detail: "scan", PrevHash: prev}
		if i > 2*512 {
			store.Salt(e) // later ones salted
		}
		e.Hash = store.EventHash(prev, e)
		prev = e.Hash
		rec, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Queue("INSERT INTO events (seq, rec) VALUES ($1, $2)", int64(i), rec)
	}
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		t.Fatal(err)
	}
	before := readAll(t, s, 0)
	seal(t, s, n)
	for r := uint64(0); r < 3; r++ {
		if !blockAt(t, conn, r*512+1) {
			t.Errorf("old run %d not sealed", r)
		}
	}
	after := readAll(t, s, 0)
	for i := range before {
		if !proto.Equal(before[i], after[i]) {
			t.Fatalf("event %d differs after sealing", i+1)
		}
	}
	verify(t, s, n)
}
