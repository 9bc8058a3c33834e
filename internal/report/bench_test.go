package report_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The report benchmark: the same figures (inspections per agency over a
// year, with the previous year) from the counters and from a full scan of
// the event log. RUQI_REPORT_EVENTS sets the number of events (default
// 1,000,000; docs/BENCHMARKS.md records 10,000,000):
//
//	RUQI_REPORT_EVENTS=10000000 go test -run '^$' -bench Report -benchtime 5x -timeout 60m ./internal/report/
var (
	benchOnce  sync.Once
	benchStore store.Store
	benchDir   string
	benchErr   error
)

// TestMain removes the benchmark's database, which outlives any one
// benchmark function.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore != nil {
		benchStore.Close()
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchFixture(b *testing.B) store.Store {
	benchOnce.Do(func() {
		n := 1_000_000
		if v, err := strconv.Atoi(os.Getenv("RUQI_REPORT_EVENTS")); err == nil && v > 0 {
			n = v
		}
		dir, err := os.MkdirTemp("", "ruqi-report-bench")
		if err != nil {
			benchErr = err
			return
		}
		benchDir = dir
		o := bolt.DefaultOptions()
		o.NoSync = true // loading the fixture is not what is measured
		benchStore, benchErr = bolt.Open(filepath.Join(dir, "bench.db"), o)
		if benchErr != nil {
			return
		}
		start := time.Now()
		benchErr = load(benchStore, n)
		b.Logf("fixture: %d events in %s at %s", n, time.Since(start).Round(time.Second), dir)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

// load writes n events over 2025 and 2026: every fourth a registration
// counted as the service counts it, the rest the scans, codes and other
// steps that make up a real log.
func load(s store.Store, n int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 50_000
	for done := 0; done < n; done += batch {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for i := done; i < done+batch && i < n; i++ {
				at := base.Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
				region := fmt.Sprintf("5101%02d", 4+rng.IntN(12))
				agency := fmt.Sprintf("AG-%03d", rng.IntN(200))
				uscc := fmt.Sprintf("91%s%010d", region, rng.IntN(1_000_000))
				typ := ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED
				if i%4 == 0 {
					typ = ruqiv1.EventType_EVENT_TYPE_REGISTERED
					if err := report.Add(tx, report.Inspections, at, region, agency, uscc, 1); err != nil {
						return err
					}
				}
				// The scan is given every advantage: the agency rides in the
				// event, so it needs no lookup of the inspection.
				e := &ruqiv1.Event{Time: timestamppb.New(at), Type: typ, Actor: "officer:O-1", EnterpriseUscc: uscc, Detail: agency + "|" + region}
				if err := tx.AppendEvent(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

var q2026 = report.Query{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.Local), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.Local), GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY}

func BenchmarkReport_FromCounters(b *testing.B) {
	s := benchFixture(b)
	b.ResetTimer()
	for b.Loop() {
		err := s.View(context.Background(), func(r store.Reader) error {
			resp, err := report.Build(r, q2026)
			if err == nil && resp.GetTotals().GetInspections() == 0 {
				err = fmt.Errorf("empty report")
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReport_FullScan(b *testing.B) {
	s := benchFixture(b)
	b.ResetTimer()
	for b.Loop() {
		perAgency := map[string][2]int64{}
		err := s.View(context.Background(), func(r store.Reader) error {
			return r.Events(0, func(e *ruqiv1.Event) error {
				if e.GetType() != ruqiv1.EventType_EVENT_TYPE_REGISTERED {
					return nil
				}
				agency := e.GetDetail()[:6]
				c := perAgency[agency]
				switch e.GetTime().AsTime().Year() {
				case 2026:
					c[0]++
				case 2025:
					c[1]++
				}
				perAgency[agency] = c
				return nil
			})
		})
		if err != nil || len(perAgency) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkReport_TopEnterprises is the most-inspected enterprises of 2026
// with 同比: one scan of the enterprises' counters for the year, one for
// the year before, and point reads for the enterprises shown.
func BenchmarkReport_TopEnterprises(b *testing.B) {
	s := benchFixture(b)
	q := q2026
	q.GroupBy = ruqiv1.GroupBy_GROUP_BY_ENTERPRISE
	b.ResetTimer()
	for b.Loop() {
		err := s.View(context.Background(), func(r store.Reader) error {
			resp, err := report.Build(r, q)
			if err == nil && len(resp.GetRows()) == 0 {
				err = fmt.Errorf("no enterprises")
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
