package bolt_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// BenchmarkAppendEvent appends one event per Update from many writers at
// once, as the server does; the group commit lets them share a commit and
// its fsync. Compare with BenchmarkFsync, the disk's rate for one small
// write and fsync: grouping is how appends beat it. It reports the writes
// per commit the writer achieved.
func BenchmarkAppendEvent(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(map[int]string{1: "writers=2", 16: "writers=32"}[writers], func(b *testing.B) {
			s, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetParallelism(writers)
			defer func() {
				st := s.Stats()
				b.ReportMetric(float64(st.Writes)/float64(max(st.Commits, 1)), "writes/commit")
			}()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					err := s.Update(context.Background(), func(tx store.Tx) error {
						return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED,
							Actor: "enterprise:91510104CY4C7RGWMR", InspectionId: "INS-20261122-ABCDEFGH", EnterpriseUscc: "91510104CY4C7RGWMR", OfficerId: "O-0001", Detail: "check-in"})
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkFsync writes 4 KiB and fsyncs it: the floor under one commit.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for b.Loop() {
		if _, err := f.WriteAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadOneEvent reads one event, as a receipt does (Events from
// seq−1, stopping after one), from a single record and from a sealed
// block: the price of the blocks' bytes saved.
func BenchmarkReadOneEvent(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const n = 4 * bolt.BlockEvents
	err = s.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			e := &ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED, Actor: "officer:O-1940",
				InspectionId: "INS-20261202-4HHUSMT6", EnterpriseUscc: "92510105XG6QNAU8M6", OfficerId: "O-1760", Detail: "key 5b4de30edbf2b331"}
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
		}
		return tx.SealEvents(n / 2)
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		first uint64
	}{{"sealed", 1}, {"single", n/2 + 1}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				seq := c.first + uint64(i%(n/2))
				err := s.View(ctx, func(r store.Reader) error {
					return r.Events(seq-1, func(*ruqiv1.Event) error { return store.ErrStop })
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
