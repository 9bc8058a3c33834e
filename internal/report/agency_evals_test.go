package report_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
)

// prefixesRead records the prefixes of the counters a reader lists.
type prefixesRead struct {
	store.Reader
	prefixes *[]string
}

func (r prefixesRead) Counts(prefix string, fn func(string, int64) error) error {
	*r.prefixes = append(*r.prefixes, prefix)
	return r.Reader.Counts(prefix, fn)
}

// An agency's evaluation summary read every agency's evaluation counters
// of every month and region (the R keys name the agency last): some 2.6
// million after a province's year, per call. The counters are kept under
// the agency too (V keys), and once those an older version counted are
// found out of step and copied (EvalsOutOfStep, KeepEvalsByAgency, in
// batches, with evaluations counted between them), the summary reads the
// agency's own and finds the same months; until then, the R keys.
func TestEvaluationMonths_TheAgencysOwnCounters(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	update := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx store.Tx) error {
		// Counted by an older version: R keys alone.
		for k, n := range map[string]int64{
			"R|eval_n|202601|510104|AG-01": 2, "R|eval_overall|202601|510104|AG-01": 9,
			"R|eval_n|202601|510104|AG-02": 5, "R|eval_due|202601|510104|AG-01": 4,
		} {
			if err := tx.AddCount(k, n); err != nil {
				return err
			}
		}
		// Counted by this version.
		return errors.Join(
			report.Add(tx, report.EvalCount, day("2026-02-10"), "510107", "AG-01", "", 1),
			report.Add(tx, report.EvalOverall, day("2026-02-10"), "510107", "AG-01", "", 4))
	})
	months := func(agency, before, region string) (string, []string) {
		t.Helper()
		var prefixes []string
		var got []report.MonthSums
		err := s.View(ctx, func(r store.Reader) error {
			var err error
			got, err = report.EvaluationMonths(prefixesRead{r, &prefixes}, agency, before, region)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range got {
			out = append(out, fmt.Sprintf("%s n%d o%d due%d", m.Month, m.Sums[report.EvalCount], m.Sums[report.EvalOverall], m.Sums[report.EvalDue]))
		}
		return strings.Join(out, "; "), prefixes
	}
	if got, _ := months("AG-01", "", ""); got != "202601 n2 o9 due4; 202602 n1 o4 due0" {
		t.Fatalf("before the counters are kept by agency: %s", got)
	}
	outOfStep := func() []string {
		t.Helper()
		keys, err := evalsOutOfStep(s)
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	keys := outOfStep()
	if got := strings.Join(keys, " "); got != "R|eval_n|202601|510104|AG-01 R|eval_n|202601|510104|AG-02 R|eval_overall|202601|510104|AG-01 R|eval_due|202601|510104|AG-01" {
		t.Fatalf("out of step before the copy: %s", got)
	}
	update(func(tx store.Tx) error { return report.KeepEvalsByAgency(tx, keys[:2]) })
	// Marked complete with half of them copied, the summary would miss the
	// rest: it reads the R keys until the copy is done.
	if got, prefixes := months("AG-01", "", ""); got != "202601 n2 o9 due4; 202602 n1 o4 due0" || strings.HasPrefix(prefixes[0], "V|") {
		t.Fatalf("halfway through the copy: %s, read %v", got, prefixes)
	}
	// An evaluation counted between the batches, under a key either copied
	// already or not yet.
	update(func(tx store.Tx) error {
		return errors.Join(
			report.Add(tx, report.EvalCount, day("2026-01-20"), "510104", "AG-01", "", 1),
			report.Add(tx, report.EvalDue, day("2026-01-20"), "510104", "AG-01", "", 1))
	})
	update(func(tx store.Tx) error {
		return errors.Join(report.KeepEvalsByAgency(tx, keys[2:]), report.MarkEvalsKept(tx, day("2026-03-15")))
	})
	if keys := outOfStep(); len(keys) != 0 {
		t.Fatalf("out of step after the copy: %v", keys)
	}
	// A later start reads the months since that check, to the month after
	// its own: where a version rolled back to in between could have counted.
	var toCheck []string
	err = s.View(ctx, func(r store.Reader) error {
		months, err := report.EvalMonthsToCheck(r, day("2026-04-02"))
		for _, em := range months {
			toCheck = append(toCheck, string(em.Metric)+" "+em.Month)
		}
		return err
	})
	if got := strings.Join(toCheck, ", "); err != nil || !strings.HasPrefix(got, "eval_n 202603, eval_n 202604, eval_n 202605, eval_overall 202603,") || len(toCheck) != 18 {
		t.Fatalf("months checked at a start in April after a check in March: %s, %v", got, err)
	}
	for _, c := range []struct{ before, region, want string }{
		{"", "", "202601 n3 o9 due5; 202602 n1 o4 due0"},
		{"202602", "", "202601 n3 o9 due5"},
		{"", "510107", "202602 n1 o4 due0"},
	} {
		got, prefixes := months("AG-01", c.before, c.region)
		if got != c.want {
			t.Errorf("AG-01's months before %q in %q: %s, want %s", c.before, c.region, got, c.want)
		}
		for _, p := range prefixes {
			if !strings.HasPrefix(p, "V|AG-01|") {
				t.Errorf("read the counters %q, not AG-01's own", p)
			}
		}
	}
	if got, _ := months("AG-02", "", ""); got != "202601 n5 o0 due0" {
		t.Errorf("AG-02's months: %s", got)
	}
}

// evalsOutOfStep is every R evaluation counter whose agency's counter
// differs from it, every month counted (report.EvalsOutOfStep).
func evalsOutOfStep(s store.Store) ([]string, error) {
	var keys []string
	err := s.View(context.Background(), func(r store.Reader) error {
		months, err := report.EvalMonthsCounted(r)
		for _, em := range months {
			ks, err := report.EvalsOutOfStep(r, em)
			if err != nil {
				return err
			}
			keys = append(keys, ks...)
		}
		return err
	})
	return keys, err
}

// countsRead counts the counters a reader lists.
type countsRead struct {
	store.Reader
	n *int
}

func (r countsRead) Counts(prefix string, fn func(string, int64) error) error {
	return r.Reader.Counts(prefix, func(k string, v int64) error { *r.n++; return fn(k, v) })
}

// BenchmarkEvaluationMonths reads one agency's evaluation months from a
// store holding a year of evaluation counters of 200 agencies in 20
// regions each (288,000 counters, six per agency, region and month), by
// the R keys (every agency's, the read before the V keys were kept) and
// by the agency's own. counters-read/op counts the counters listed.
func BenchmarkEvaluationMonths(b *testing.B) {
	o := bolt.DefaultOptions()
	o.NoSync = true // loading the fixture is not what is measured
	s, err := bolt.Open(filepath.Join(b.TempDir(), "r.db"), o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var keys []string
	for month := 1; month <= 12; month++ {
		for ag := range 200 {
			for rg := range 20 {
				for _, m := range []report.Metric{report.EvalCount, report.EvalOverall, report.EvalCertificate, report.EvalRights, report.EvalProper, report.EvalDue} {
					keys = append(keys, fmt.Sprintf("R|%s|2026%02d|5101%02d|AG-%03d", m, month, rg, ag))
				}
			}
		}
	}
	// A few thousand a transaction: bbolt inserts into a node's sorted
	// list until the commit splits it.
	for lo := 0; lo < len(keys); lo += 4000 {
		err := s.Update(ctx, func(tx store.Tx) error {
			for _, k := range keys[lo:min(lo+4000, len(keys))] {
				if err := tx.AddCount(k, 3); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, kept := range []bool{false, true} {
		if kept {
			keys, err = evalsOutOfStep(s)
			if err != nil {
				b.Fatal(err)
			}
			for lo := 0; lo < len(keys); lo += 4000 { // as Service.KeepEvaluationsByAgency does
				hi := min(lo+4000, len(keys))
				if err := s.Update(ctx, func(tx store.Tx) error { return report.KeepEvalsByAgency(tx, keys[lo:hi]) }); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Update(ctx, func(tx store.Tx) error { return report.MarkEvalsKept(tx, time.Now()) }); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(map[bool]string{false: "every agency's", true: "the agency's own"}[kept], func(b *testing.B) {
			read := 0
			for b.Loop() {
				err := s.View(ctx, func(r store.Reader) error {
					months, err := report.EvaluationMonths(countsRead{r, &read}, "AG-007", "", "")
					if err == nil && len(months) != 12 {
						return fmt.Errorf("%d months, want 12", len(months))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(read)/float64(b.N), "counters-read/op")
		})
	}
}
