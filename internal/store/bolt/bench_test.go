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
