package service_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The evaluation counters an older version kept (under R keys alone) are
// kept under their agency too once, at the first report upkeep after a
// start (KeepEvaluationsByAgency), and the agency's summary then reads
// its own: the administrator reads the same live figures before and after.
func testKeepEvaluationsByAgency(t *testing.T, raw store.Store) {
	ctx := context.Background()
	e := newEnvOn(t, raw, "")
	err := raw.Update(ctx, func(tx store.Tx) error {
		for k, n := range map[string]int64{
			"R|eval_n|202601|510104|AG-01": 12, "R|eval_overall|202601|510104|AG-01": 50,
			"R|eval_cert|202601|510104|AG-01": 11, "R|eval_n|202601|510104|AG-02": 3,
		} {
			if err := tx.AddCount(k, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	summary := func() string {
		t.Helper()
		resp, err := ruqiv1.NewInspectionServiceClient(e.cc).GetEvaluationSummary(e.as(e.admin), &ruqiv1.GetEvaluationSummaryRequest{AgencyId: "AG-01"})
		if err != nil {
			t.Fatal(err)
		}
		s := resp.GetSummary()
		return fmtSummary(s.GetEvaluations(), s.GetOverallAverage(), s.GetCertificateShownShare())
	}
	before := summary()
	if before != "12 4.17 0.92" {
		t.Fatalf("AG-01's summary from the R counters: %s", before)
	}
	for range 2 { // the second finds them kept
		if err := e.svc.KeepEvaluationsByAgency(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var kept, v int64
	err = raw.View(ctx, func(r store.Reader) (err error) {
		if kept, err = r.Count(report.AgencyEvalsKept); err != nil {
			return err
		}
		v, err = r.Count("V|AG-01|eval_overall|202601|510104")
		return err
	})
	if want, _ := strconv.ParseInt(report.Month(time.Now()), 10, 64); err != nil || kept != want || v != 50 {
		t.Fatalf("after keeping: marked %d, AG-01's overall under its agency %d, %v; want %d and 50", kept, v, err, want)
	}
	if after := summary(); after != before {
		t.Fatalf("AG-01's summary from its own counters: %s, want %s", after, before)
	}
	// A version rolled back to counts under R alone, in its own month; the
	// next start finds it out of step and copies it.
	month := report.Month(time.Now())
	err = raw.Update(ctx, func(tx store.Tx) error {
		return errors.Join(tx.AddCount("R|eval_n|"+month+"|510104|AG-01", 4), tx.AddCount("R|eval_overall|"+month+"|510104|AG-01", 20))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.KeepEvaluationsByAgency(ctx); err != nil {
		t.Fatal(err)
	}
	if after := summary(); after != "16 4.38 0.69" {
		t.Fatalf("AG-01's summary after a version rolled back to counted four more: %s, want 16 4.38 0.69", after)
	}
}

func fmtSummary(n int32, overall, cert float64) string {
	return fmt.Sprintf("%d %.2f %.2f", n, overall, cert)
}

func TestKeepEvaluationsByAgency_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testKeepEvaluationsByAgency(t, st)
}

func TestKeepEvaluationsByAgency_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testKeepEvaluationsByAgency(t, st)
}

// BenchmarkKeepEvaluationsByAgency_Postgres copies a year of evaluation
// counters of 100 agencies in 20 regions (144,000 R counters) to their
// agencies' keys on PostgreSQL, as the first start after the upgrade does,
// then checks again as a later start does (the months since that check).
//
//	go test -run '^$' -bench 'KeepEvaluationsByAgency_Postgres' -benchtime 1x ./internal/service/
func BenchmarkKeepEvaluationsByAgency_Postgres(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		raw, err := postgres.Open(ctx, pgtest.Start(b).NewDatabase(b), postgres.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		e := newEnvOn(b, raw, "")
		n := 0
		for m := 1; m <= 12; m++ {
			for _, metric := range []report.Metric{report.EvalCount, report.EvalOverall, report.EvalCertificate, report.EvalRights, report.EvalProper, report.EvalDue} {
				err := raw.Update(ctx, func(tx store.Tx) error {
					for ag := range 100 {
						for rg := range 20 {
							if err := tx.AddCount(fmt.Sprintf("R|%s|2026%02d|5101%02d|AG-%03d", metric, m, rg, ag), 3); err != nil {
								return err
							}
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				n += 2000
			}
		}
		b.StartTimer()
		start := time.Now()
		if err := e.svc.KeepEvaluationsByAgency(ctx); err != nil {
			b.Fatal(err)
		}
		first := time.Since(start)
		start = time.Now()
		if err := e.svc.KeepEvaluationsByAgency(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/first.Seconds(), "counters-copied/s")
		b.ReportMetric(time.Since(start).Seconds()*1000, "ms-next-start")
	}
}
