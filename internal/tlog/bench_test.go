package tlog_test

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// BenchmarkIntegrate adds b.N leaves to the tree on a real bbolt file with
// fsync, in batches of 1,000 events (the integrator's own transaction);
// appending the events is not timed. Beside it, BenchmarkSHA256Leaf is the
// hashing floor: a leaf costs one leaf hash and, amortised, one interior
// hash.
func BenchmarkIntegrate(b *testing.B) { benchmarkIntegrate(b, 1000) }

// BenchmarkIntegrateGroup integrates 16 events at a time, as a group
// commit of scans does: what each integration costs besides its leaves
// (reading the signed range, checking it still gives the signed root).
func BenchmarkIntegrateGroup(b *testing.B) { benchmarkIntegrate(b, 16) }

func benchmarkIntegrate(b *testing.B, batch int) {
	f := newFixture(b)
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		b.StopTimer()
		f.append(b, n, "91350100M000100Y43")
		b.StartTimer()
		err := f.st.Update(ctx, func(tx store.Tx) error {
			_, err := f.log.Integrate(tx, batch)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

func BenchmarkSHA256Leaf(b *testing.B) {
	var in [65]byte
	for i := 0; i < b.N; i++ {
		h := sha256.Sum256(in[:33]) // leaf: 0x00 ‖ 32-byte chain hash
		copy(in[1:], h[:])
		h = sha256.Sum256(in[:]) // interior: 0x01 ‖ left ‖ right
		copy(in[1:], h[:])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkReceiptDelay measures how long an event waits, under load, until
// its receipt can be made: from its commit to the commit of the checkpoint
// that covers it. 16 writers append events (each its own transaction, as
// scans and registrations are) while the integrator runs every interval.
func BenchmarkReceiptDelay(b *testing.B) {
	for _, interval := range []time.Duration{200 * time.Millisecond, 2 * time.Second} {
		b.Run(fmt.Sprintf("interval=%s", interval), func(b *testing.B) {
			f := newFixture(b)
			var mu sync.Mutex
			committed := map[uint64]time.Time{}
			var delays []time.Duration
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						var seq uint64
						err := f.st.Update(ctx, func(tx store.Tx) error {
							e := &ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, EnterpriseUscc: "91350100M000100Y43"}
							err := tx.AppendEvent(e)
							seq = e.GetSeq()
							return err
						})
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						committed[seq] = time.Now()
						mu.Unlock()
					}
				}()
			}
			var size uint64
			b.ResetTimer()
			for len(delays) < b.N*100 {
				time.Sleep(interval)
				var in struct{ size uint64 }
				err := f.st.Update(ctx, func(tx store.Tx) error {
					r, err := f.log.Integrate(tx, 1<<20)
					in.size = r.Size
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				now := time.Now()
				mu.Lock()
				for s := size + 1; s <= in.size; s++ {
					if t, ok := committed[s]; ok {
						delays = append(delays, now.Sub(t))
						delete(committed, s)
					}
				}
				mu.Unlock()
				size = in.size
			}
			close(stop)
			wg.Wait()
			slices.Sort(delays)
			b.ReportMetric(float64(delays[len(delays)/2].Milliseconds()), "p50-ms")
			b.ReportMetric(float64(delays[len(delays)*99/100].Milliseconds()), "p99-ms")
			b.ReportMetric(float64(len(delays))/b.Elapsed().Seconds(), "events/s")
		})
	}
}
