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
	summary := func() string {
		t.Helper()
		var s *ruqiv1.EvaluationSummary
		err := raw.View(ctx, func(r store.Reader) (err error) {
			s, err = inspection.EvaluationSummary(r, agencySide, time.Now(), "AG-01")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmtSummary(s.GetEvaluations(), s.GetOverallAverage(), s.GetCertificateShownShare())
	}
	// The evaluator counters as an older version left them: none.
	err = raw.Update(ctx, func(tx store.Tx) error {
		_, err := store.DropCounts(tx, inspection.EvaluatorPrefix, func(string) bool { return true })
		return err
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
	// From here on evaluations keep their own: four more enterprises last
	// month make a batch with the one waiting, and three of the five are
	// kept.
	err = raw.Update(ctx, func(tx store.Tx) error {
		for i := range 4 {
			if err := evaluate(tx, "AG-01", firms[i], inspectionKind, monthsAgo(1, 13+i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(); got != "14 2.86 0.43" {
		t.Fatalf("AG-01's summary after four more enterprises' evaluations last month: %s, want 14 2.86 0.43", got)
	}
	lastMonth := 0
	err = raw.View(ctx, func(r store.Reader) error {
		return r.Counts(inspection.EvaluatorPrefix+"AG-01|"+report.Month(monthsAgo(1, 12))+"|", func(string, int64) error { lastMonth++; return nil })
	})
	if err != nil || lastMonth != inspection.MinEvaluations {
		t.Fatalf("AG-01's evaluators kept last month, of five: %d, %v; want %d", lastMonth, err, inspection.MinEvaluations)
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
