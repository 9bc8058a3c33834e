package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The agency's summary counts the enterprises behind each batch of
// months. It read every evaluation of the agency, with its inspection, to
// find them; it reads at most MinEvaluations evaluator counters a month
// once they are kept (inspection.EvaluatorPrefix). A store an older version
// wrote (evaluations without those counters) gets them at the first start
// (KeepEvaluators), and the agency reads the same figures before and after.
func testEvaluatorsKept(t *testing.T, raw store.Store) {
	ctx := context.Background()
	e := newEnvOn(t, raw, "")
	var firms []string
	region := ""
	for _, ent := range e.dir.GetEnterprises() {
		if region == "" || ent.GetRegionCode() == region {
			region = ent.GetRegionCode()
			firms = append(firms, ent.GetUscc())
		}
	}
	if len(firms) < 5 {
		t.Fatalf("the sample directory has %d enterprises in %s, want 5", len(firms), region)
	}
	n := 0
	// evaluate has firm evaluate a closed visit of agency at at.
	evaluate := func(tx store.Tx, agency, firm string, kind ruqiv1.VisitKind, at time.Time) error {
		n++
		prefix := "INS-Z" // after AG-02's (INS-A…), on the copy's second page
		if agency == "AG-02" {
			prefix = "INS-A"
		}
		ins := &ruqiv1.Inspection{Id: fmt.Sprintf("%s%04d", prefix, n), AgencyId: agency, EnterpriseUscc: firm, OfficerIds: []string{"O-1"}, VisitKind: kind,
			State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, CompletedAt: timestamppb.New(at.Add(-time.Hour)), FirstCheckedInAt: timestamppb.New(at.Add(-2 * time.Hour))}
		if err := tx.PutInspection(ins); err != nil {
			return err
		}
		p := auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: firm, TokenID: "tok-" + firm}
		_, err := inspection.Evaluate(tx, p, at, inspection.EvaluationInput{InspectionID: ins.GetId(), CertificateShown: n%2 == 0, Overall: int32(1 + n%5), Policies: coord.DefaultPolicies()})
		return err
	}
	const inspectionKind = ruqiv1.VisitKind_VISIT_KIND_INSPECTION
	err := raw.Update(ctx, func(tx store.Tx) error {
		if err := report.Add(tx, report.EvalDue, monthsAgo(6, 10), region, "AG-01", "", 40); err != nil {
			return err
		}
		steps := []struct {
			firm  int
			kind  ruqiv1.VisitKind
			month int
		}{
			{0, inspectionKind, 5},                         // one enterprise: its batch waits
			{1, inspectionKind, 4}, {1, inspectionKind, 4}, // the same enterprise twice: two
			{3, ruqiv1.VisitKind_VISIT_KIND_SURVEY, 3}, // not an inspection: no third
			{2, inspectionKind, 3},                     // the third: released through this month
			{0, inspectionKind, 2}, {1, inspectionKind, 2}, {2, inspectionKind, 2}, {3, inspectionKind, 2}, {4, inspectionKind, 2},
			{4, inspectionKind, 1}, // one, waiting
		}
		for _, s := range steps {
			if err := evaluate(tx, "AG-01", firms[s.firm], s.kind, monthsAgo(s.month, 12)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another agency's evaluations, more than a page of the copy's reads.
	for range 6 {
		err := raw.Update(ctx, func(tx store.Tx) error {
			for i := range 100 {
				if err := evaluate(tx, "AG-02", firms[i%5], inspectionKind, monthsAgo(1+i%3, 12)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	agencySide := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-01"}
	// Read once this month is closed too: what is evaluated in it is read.
	thisMonth := monthsAgo(0, 1)
	later := time.Date(thisMonth.Year(), thisMonth.Month()+1, 3, 10, 0, 0, 0, thisMonth.Location())
	summary := func() string {
		t.Helper()
		var s *ruqiv1.EvaluationSummary
		err := raw.View(ctx, func(r store.Reader) (err error) {
			s, err = inspection.EvaluationSummary(r, agencySide, later, "AG-01")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmtSummary(s.GetEvaluations(), s.GetOverallAverage(), s.GetCertificateShownShare())
	}
	// The evaluator counters as an older version left them: none.
	err = raw.Update(ctx, func(tx store.Tx) error {
		for _, prefix := range []string{inspection.EvaluatorPrefix, inspection.EvaluatedPrefix} {
			if _, err := store.DropCounts(tx, prefix, func(string) bool { return true }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	before := summary()
	if before != "9 2.78 0.44" {
		t.Fatalf("AG-01's summary from its evaluations: %s, want 9 (through two months ago) 2.78 0.44", before)
	}
	for range 2 { // the second finds them kept
		if err := e.svc.KeepEvaluators(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if after := summary(); after != before {
		t.Fatalf("AG-01's summary from its evaluator counters: %s, want %s", after, before)
	}
	kept := map[string]int{}
	err = raw.View(ctx, func(r store.Reader) error {
		return r.Counts(inspection.EvaluatorPrefix, func(k string, n int64) error {
			parts := strings.Split(k, "|")
			kept[parts[1]+" "+parts[2]]++
			if parts[1] == "AG-01" && parts[2] == report.Month(monthsAgo(3, 12)) && parts[3] == firms[3] {
				t.Errorf("the enterprise of a visit that is not an inspection is kept among AG-01's evaluators: %s", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		agency string
		month  int
		want   int
	}{{"AG-01", 5, 1}, {"AG-01", 4, 1}, {"AG-01", 3, 1}, {"AG-01", 2, 3}, {"AG-02", 1, 3}, {"AG-02", 3, 3}} {
		if got := kept[c.agency+" "+report.Month(monthsAgo(c.month, 12))]; got != c.want {
			t.Errorf("%s's evaluators kept %d months ago: %d, want %d (at most %d)", c.agency, c.month, got, c.want, inspection.MinEvaluations)
		}
	}
	// A version rolled back to records an evaluation this month without
	// the counters; then this one, again, another. Read from the counters,
	// this month would have one enterprise where it has two, and with last
	// month's one the batch would wait where the evaluations release it:
	// two readings could then differ by one enterprise's answers (a
	// review, 2026-12-07). The month is read from the evaluations until the
	// next start's check has kept it.
	now := time.Now()
	err = raw.Update(ctx, func(tx store.Tx) error {
		if err := evaluate(tx, "AG-01", firms[0], inspectionKind, now); err != nil {
			return err
		}
		month := report.Month(now)
		if _, err := store.DropCounts(tx, inspection.EvaluatorPrefix+"AG-01|"+month+"|"+firms[0], func(string) bool { return true }); err != nil {
			return err
		}
		return tx.AddCount(inspection.EvaluatedPrefix+"AG-01|"+month, -1)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(ctx, func(tx store.Tx) error { return evaluate(tx, "AG-01", firms[1], inspectionKind, now) })
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(); got != "12 2.83 0.42" {
		t.Fatalf("AG-01's summary with an evaluation a version rolled back to recorded: %s, want 12 2.83 0.42 (three enterprises over last month and this)", got)
	}
	if err := e.svc.KeepEvaluators(ctx); err != nil {
		t.Fatal(err)
	}
	var noted int64
	evaluators := func() (n int) {
		t.Helper()
		err := raw.View(ctx, func(r store.Reader) (err error) {
			if noted, err = r.Count(inspection.EvaluatedPrefix + "AG-01|" + report.Month(now)); err != nil {
				return err
			}
			return r.Counts(inspection.EvaluatorPrefix+"AG-01|"+report.Month(now)+"|", func(string, int64) error { n++; return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := evaluators(); n != 2 || noted != 2 {
		t.Fatalf("after the next start's check, this month's evaluators kept %d and evaluations accounted for %d, want 2 and 2", n, noted)
	}
	if got := summary(); got != "12 2.83 0.42" {
		t.Fatalf("AG-01's summary after the next start's check: %s, want 12 2.83 0.42", got)
	}
	// Three more enterprises this month: three of the five are kept.
	err = raw.Update(ctx, func(tx store.Tx) error {
		for i := 2; i < 5; i++ {
			if err := evaluate(tx, "AG-01", firms[i], inspectionKind, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(); got != "15 2.80 0.47" {
		t.Fatalf("AG-01's summary after three more enterprises' evaluations this month: %s, want 15 2.80 0.47", got)
	}
	if n := evaluators(); n != inspection.MinEvaluations || noted != 5 {
		t.Fatalf("this month's evaluators kept, of five: %d, evaluations accounted for %d; want %d and 5", n, noted, inspection.MinEvaluations)
	}
}

func TestEvaluatorsKept_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testEvaluatorsKept(t, st)
}

func TestEvaluatorsKept_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testEvaluatorsKept(t, st)
}

// BenchmarkKeepEvaluators_Postgres keeps the evaluators of 50,000
// evaluations of 100 agencies over twelve months on PostgreSQL, as the
// first start after the upgrade does (a province-year holds some 640,000).
//
//	go test -run '^$' -bench 'KeepEvaluators_Postgres' -benchtime 1x ./internal/service/
func BenchmarkKeepEvaluators_Postgres(b *testing.B) {
	ctx := context.Background()
	const evaluations = 50000
	for b.Loop() {
		b.StopTimer()
		raw, err := postgres.Open(ctx, pgtest.Start(b).NewDatabase(b), postgres.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		e := newEnvOn(b, raw, "")
		for i := 0; i < evaluations; i += 1000 {
			err := raw.Update(ctx, func(tx store.Tx) error {
				for j := i; j < i+1000; j++ {
					at := timestamppb.New(monthsAgo(1+j%12, 10))
					id, agency, firm := fmt.Sprintf("INS-%06d", j), fmt.Sprintf("AG-%03d", j%100), fmt.Sprintf("915101%012d", j%5000)
					if err := tx.PutInspection(&ruqiv1.Inspection{Id: id, AgencyId: agency, EnterpriseUscc: firm, State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, CompletedAt: at}); err != nil {
						return err
					}
					if err := tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: id, AgencyId: agency, EnterpriseUscc: firm, Overall: 4, At: at}); err != nil {
						return err
					}
					if err := report.Add(tx, report.EvalCount, at.AsTime(), "510104", agency, "", 1); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		if err := e.svc.KeepEvaluators(ctx); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var noted int64
		err = raw.View(ctx, func(r store.Reader) error {
			return r.Counts(inspection.EvaluatedPrefix, func(_ string, n int64) error { noted += n; return nil })
		})
		if err != nil || noted != evaluations {
			b.Fatalf("after the check, %d evaluations accounted for, %v; want %d", noted, err, evaluations)
		}
		b.ReportMetric(evaluations/took.Seconds(), "evaluations-read/s")
	}
}
