package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// BenchmarkRegistrationWrites writes what a registration writes (the
// inspection, three events, two report counters every registration of the
// month shares) from many writers at once, on a cluster with fsync on. The
// events and counters are append-only, so writers do not wait for each
// other on the log's head or the hot counters; compare with bbolt's
// BenchmarkAppendEvent.
func BenchmarkRegistrationWrites(b *testing.B) {
	srv := pgtest.Start(b, pgtest.WithFsync())
	for _, writers := range []int{2, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			o := postgres.DefaultOptions()
			s, err := postgres.Open(context.Background(), srv.NewDatabase(b)+"&pool_max_conns=16", o)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var n atomic.Int64
			b.SetParallelism(writers / 2) // GOMAXPROCS is 2 here
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("INS-%08d", n.Add(1))
					err := s.Update(context.Background(), func(tx store.Tx) error {
						in := &ruqiv1.Inspection{Id: id, AgencyId: "AG-01", EnterpriseUscc: "91510104CY4C7RGWMR", Reason: "日常检查"}
						if err := tx.PutInspection(in); err != nil {
							return err
						}
						for _, typ := range []ruqiv1.EventType{ruqiv1.EventType_EVENT_TYPE_REGISTERED, ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED, ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED} {
							err := tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: typ, Actor: "officer:O-0001", InspectionId: id, EnterpriseUscc: "91510104CY4C7RGWMR"})
							if err != nil {
								return err
							}
						}
						if err := tx.AddCount("R|registered|2026-11|510104|AG-01", 1); err != nil {
							return err
						}
						return tx.AddCount("R|registered|2026-11|510104", 1)
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if err := s.WaitSequenced(context.Background()); err != nil {
				b.Fatal(err)
			}
			err = s.View(context.Background(), func(r store.Reader) error {
				rep, err := store.VerifyChain(r)
				if err != nil || !rep.Intact || rep.Events != uint64(3*n.Load()) {
					return fmt.Errorf("chain %+v, %v; want %d intact events", rep, err, 3*n.Load())
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
