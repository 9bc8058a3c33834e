package inspection_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// BenchmarkEvaluationSummary_FiveYears is an agency's own summary after
// five years of 3,200 evaluations a year (a province-year's 640,000 of 200
// agencies), by 1,000 enterprises, on bbolt: reading every evaluation and
// its inspection to find the enterprises behind each batch (as before
// 2026-12-07, and on a store whose evaluators are not kept yet), against
// reading the evaluator counters, at most MinEvaluations a month.
//
//	go test -run '^$' -bench 'EvaluationSummary_FiveYears' -benchtime 10x -count 3 ./internal/inspection/
func BenchmarkEvaluationSummary_FiveYears(b *testing.B) {
	now := midMonth()
	st := fixture(b, now)
	ctx := context.Background()
	const perYear, years = 3200, 5
	for y := range years {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := range perYear {
				at := now.AddDate(-y-1, 0, i%360/30*30)
				id := fmt.Sprintf("INS-%d-%05d", y, i)
				firm := fmt.Sprintf("915101%012d", i%1000)
				if err := tx.PutInspection(&ruqiv1.Inspection{Id: id, AgencyId: "AG-1", EnterpriseUscc: firm, State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, CompletedAt: timestamppb.New(at)}); err != nil {
					return err
				}
				if err := tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: id, AgencyId: "AG-1", EnterpriseUscc: firm, Overall: 4, At: timestamppb.New(at)}); err != nil {
					return err
				}
				for m, n := range map[report.Metric]int64{report.EvalCount: 1, report.EvalOverall: 4, report.EvalDue: 2} {
					if err := report.Add(tx, m, at, region, "AG-1", "", n); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	agency := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	run := func(b *testing.B, records int) {
		var n int32
		for b.Loop() {
			err := st.View(ctx, func(r store.Reader) error {
				s, err := inspection.EvaluationSummary(r, agency, now, "AG-1")
				n = s.GetEvaluations()
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if n != perYear*years {
			b.Fatalf("the summary shows %d evaluations, want %d", n, perYear*years)
		}
		b.ReportMetric(float64(records), "records-read/op")
	}
	b.Run("evaluations", func(b *testing.B) { run(b, 2*perYear*years) })
	// The first start's check of the agency: its five years read and kept
	// in one write transaction, which holds bbolt's one writer meanwhile.
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			err := st.Update(ctx, func(tx store.Tx) error {
				for _, prefix := range []string{inspection.EvaluatorPrefix, inspection.EvaluatedPrefix} {
					if _, err := store.DropCounts(tx, prefix, func(string) bool { return true }); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			err = st.Update(ctx, func(tx store.Tx) error {
				did, err := inspection.KeepEvaluators(tx, "AG-1", nil)
				if err == nil && !did {
					err = errors.New("nothing out of step")
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	var kept int
	err := st.Update(ctx, func(tx store.Tx) error {
		// The summary reads the evaluator counters and, to know they are
		// in step, the counts of the evaluations they account for.
		for _, prefix := range []string{inspection.EvaluatorPrefix, inspection.EvaluatedPrefix} {
			if err := tx.Counts(prefix, func(string, int64) error { kept++; return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("counters", func(b *testing.B) { run(b, kept) })
}
