package inspection

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// MinEvaluations is the fewest evaluations an agency's summary shows shares
// for: below it, one enterprise's answer could be read off the figures. It
// is also how many enterprises that could have evaluated must not have, for
// the agency to be shown anything (releasedSums).
const MinEvaluations = 3

// closedAfter is how long after a month ends it is closed to the agency: an
// evaluation takes its month when its step begins, and one begun before
// midnight may commit after it (a busy writer, a retried PostgreSQL
// transaction, a replica's clock); a month shown must not change.
const closedAfter = 24 * time.Hour

// EvaluationSummary is what p may see of an agency's evaluations (评价):
// sums, never the evaluations. Evaluations are anonymous towards the agency
// (深圳龙华: 不可见、不可溯): its officers and administrators see closed months
// only (a day after they end), released in batches of at least
// MinEvaluations and only while at least MinEvaluations of the enterprises
// it closed inspections of have not evaluated (releasedSums); supervisors
// see every month, of the enterprises in their region.
func EvaluationSummary(r store.Reader, p auth.Principal, now time.Time, agency string) (*ruqiv1.EvaluationSummary, error) {
	// The agency's head reads what its officers and administrator read
	// (the head answers for how the agency inspects; a trial of an
	// agency's month, 2026-12-06, found it refused).
	agencySide := p.Is(ruqiv1.Role_ROLE_OFFICER) || p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN) || p.Is(ruqiv1.Role_ROLE_AGENCY_HEAD)
	// Live figures are for whoever may list each evaluation
	// (ListEvaluations: supervisors and administrators), named here, not
	// inferred as "not the agency": an agency's head read as live, of any
	// agency it named, had the role table let it call.
	live := p.Is(ruqiv1.Role_ROLE_SUPERVISOR) || p.Is(ruqiv1.Role_ROLE_ADMIN)
	if !agencySide && !live {
		return nil, domain.PermissionDeniedf("EVALUATIONS_HIDDEN", "企业评价汇总只供执法部门（按已结束月份成批公开的匿名汇总）和司法局查看")
	}
	if agencySide || agency == "" {
		var err error
		if agency, err = AgencyOf(r, p, agency); err != nil {
			return nil, err
		}
	}
	// Live sums would let an agency read one enterprise's answers off the
	// difference before and after its visit: the agency sees closed months
	// only, which no longer change.
	var sums map[report.Metric]int64
	switch {
	case agencySide:
		closed := report.Month(now.Add(-closedAfter))
		months, err := report.EvaluationMonths(r, agency, closed, "")
		if err != nil {
			return nil, err
		}
		evaluators, err := evaluatorsByMonth(r, agency, closed, months)
		if err != nil {
			return nil, err
		}
		sums = releasedSums(months, evaluators)
	default:
		// A supervisor oversees the enterprises of a region: it sees what
		// they said of the agency, not what enterprises elsewhere did.
		region := ""
		if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) {
			region = p.Subject
		}
		months, err := report.EvaluationMonths(r, agency, "", region)
		if err != nil {
			return nil, err
		}
		sums = report.Sum(months)
	}
	n := float64(sums[report.EvalCount])
	sum := &ruqiv1.EvaluationSummary{AgencyId: agency, MinCount: MinEvaluations, Live: live}
	if n >= MinEvaluations || live {
		sum.Evaluations = int32(n)
	}
	// Whoever reads the live figures may list each evaluation: the floor
	// guards the agency's reading only (a 司法局 was told its one
	// evaluation was hidden "to protect the enterprise", 2026-12-06).
	if n >= MinEvaluations || (live && n > 0) {
		sum.CertificateShownShare = float64(sums[report.EvalCertificate]) / n
		sum.RightsExplainedShare = float64(sums[report.EvalRights]) / n
		sum.ConductedProperlyShare = float64(sums[report.EvalProper]) / n
		sum.OverallAverage = float64(sums[report.EvalOverall]) / n
	}
	return sum, nil
}

// releasedSums adds closed months to what the agency sees only once they
// bring at least MinEvaluations evaluations of as many enterprises
// together, oldest first; the months after the last such batch wait for
// more. A threshold on the running total alone would not do: read at the
// start of one month and of the next, the figures would differ by that
// month's evaluations, and with one evaluation in it, by one enterprise's
// answers. Batched, two readings differ by whole batches, each of at least
// MinEvaluations enterprises' answers. Counting evaluations, not the
// enterprises that made them, let an agency whose closed inspections were
// all at one enterprise read that enterprise's three answers (a review,
// 2026-12-05): evaluators holds, by month, the enterprises that evaluated.
//
// Nor would batches alone: the agency knows whose inspections it closed.
// Had all of them evaluated, the count would say who evaluated, and a share
// of 0 or 1 what each answered. So a batch is released only if, through its
// last month, at least MinEvaluations more inspections were closed (EvalDue)
// than evaluated: each enterprise the agency knows of may be one that did
// not. Evaluations of inspections closed before EvalDue was counted wait
// for closings enough to cover them. (Inspections, not enterprises: an
// agency that knows it closed inspections at exactly three enterprises, two
// each, and is shown three evaluations, learns from this rule that each
// evaluated once; docs/SECURITY.md.)
func releasedSums(months []report.MonthSums, evaluators map[string]map[string]bool) map[report.Metric]int64 {
	released := 0
	var batch, evaluated, due int64
	firms := map[string]bool{} // the batch's evaluators
	for i := range months {
		batch += months[i].Sums[report.EvalCount]
		evaluated += months[i].Sums[report.EvalCount]
		due += months[i].Sums[report.EvalDue]
		for uscc := range evaluators[months[i].Month] {
			firms[uscc] = true
		}
		if batch >= MinEvaluations && len(firms) >= MinEvaluations && due-evaluated >= MinEvaluations {
			released, batch = i+1, 0
			clear(firms)
		}
	}
	out := report.Sum(months[:released])
	delete(out, report.EvalDue)
	return out
}

// evaluatorsByMonth is, for each month (yyyymm) of months, before before,
// enterprises that evaluated agency's inspections in it, at most
// MinEvaluations of them (addEvaluator): the month of an evaluation's
// counters is that of its time (report.Month). It reads the agency's
// evaluator counters (EvaluatorPrefix), at most MinEvaluations a month,
// where every evaluation of the agency with its inspection was read before
// 2026-12-07, which grew with the agency's history. It reads those all the
// same if a month's evaluations are not all accounted for by the counters
// (EvaluatedPrefix against the month's sums): on a store an older version
// wrote, until KeepEvaluators has run, and after a version rolled back to
// recorded evaluations without them, until the next start's check. Read
// from the counters then, a month would lack enterprises, and a batch that
// waits for them could end later than the one released before, so that
// two readings would differ by one enterprise's answers (a review,
// 2026-12-07).
func evaluatorsByMonth(r store.Reader, agency, before string, months []report.MonthSums) (map[string]map[string]bool, error) {
	noted, err := evaluationsNoted(r, agency)
	if err != nil {
		return nil, err
	}
	for _, ms := range months {
		if ms.Sums[report.EvalCount] != noted[ms.Month] {
			return readEvaluators(r, agency)
		}
	}
	out := map[string]map[string]bool{}
	prefix := EvaluatorPrefix + agency + "|"
	err = r.Counts(prefix, func(k string, _ int64) error {
		m, uscc, ok := strings.Cut(strings.TrimPrefix(k, prefix), "|")
		if ok && m < before {
			addEvaluator(out, m, uscc)
		}
		return nil
	})
	return out, err
}

// EvaluatorPrefix keys, for each agency and month, at most MinEvaluations
// of the enterprises that evaluated its inspections in that month:
// evaluator|<agency>|<yyyymm>|<uscc>, a counter at 1 (Evaluate). That is all
// releasedSums needs: a batch is released once the enterprises of its
// months number MinEvaluations, which a month with MinEvaluations of its
// own makes so whoever else evaluated; below that, every one of a month's
// is kept, and the batch's count is exact.
const EvaluatorPrefix = "evaluator|"

// EvaluatedPrefix keys, for each agency and month, how many of the
// evaluations its sums count (report.EvalCount) the evaluator counters
// account for: evaluated|<agency>|<yyyymm>. Evaluate adds one with each
// evaluation it counts; a start's check sets it to the month's sum once it
// has kept the month's evaluators (KeepEvaluators). A month whose sum
// differs is read from the evaluations (evaluatorsByMonth).
const EvaluatedPrefix = "evaluated|"

// EvaluatorsKept is the month (yyyymm, as a number) of the last start's
// check of the evaluator counters (Service.KeepEvaluators): the next one
// checks the months from it on (report.MonthsSinceCheck), every month while
// it is unset.
const EvaluatorsKept = "evaluators_kept"

// noteEvaluator keeps uscc among the month's evaluators of agency, unless
// MinEvaluations are kept already.
func noteEvaluator(tx store.Tx, agency, month, uscc string) error {
	prefix := EvaluatorPrefix + agency + "|" + month + "|"
	n, have := 0, false
	err := tx.Counts(prefix, func(k string, _ int64) error {
		n++
		have = have || k == prefix+uscc
		return nil
	})
	if err != nil || have || n >= MinEvaluations {
		return err
	}
	return tx.AddCount(prefix+uscc, 1)
}

// addEvaluator adds uscc to month's evaluators in m, unless MinEvaluations
// others are there (EvaluatorPrefix).
func addEvaluator(m map[string]map[string]bool, month, uscc string) {
	firms := m[month]
	if firms == nil {
		firms = map[string]bool{}
		m[month] = firms
	}
	if len(firms) < MinEvaluations {
		firms[uscc] = true
	}
}

// readEvaluators reads the evaluators of agency's evaluations by month
// (addEvaluator), with their inspections: an evaluation of a visit that is
// not an inspection is in no sum (Evaluate), so its enterprise is none of a
// batch's: it made a third "enterprise" beside two whose three answers were
// then released. (Those evaluated before 2026-12-07 are in the sums and
// left out here all the same: a batch waits longer, it never shows fewer
// enterprises' answers.)
func readEvaluators(r store.Reader, agency string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	var visits map[string]*ruqiv1.Inspection // the page's
	read := func(p store.Page) ([]*ruqiv1.Evaluation, error) {
		list, err := r.Evaluations(agency, p)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(list))
		for i, ev := range list {
			ids[i] = ev.GetInspectionId()
		}
		visits, err = r.InspectionsOf(ids)
		return list, err
	}
	err := store.Each(500, read, (*ruqiv1.Evaluation).GetInspectionId, func(ev *ruqiv1.Evaluation) error {
		if ins := visits[ev.GetInspectionId()]; ins == nil || domain.IsInspection(ins.GetVisitKind()) {
			addEvaluator(out, report.Month(ev.GetAt().AsTime()), ev.GetEnterpriseUscc())
		}
		return nil
	})
	return out, err
}

// EvaluatorsOutOfStep returns the months, among months (every month if
// nil), whose evaluations agency's sums count and its evaluator counters do
// not all account for (EvaluatedPrefix).
func EvaluatorsOutOfStep(r store.Reader, agency string, months []string) ([]string, error) {
	out, _, err := outOfStep(r, agency, months)
	return out, err
}

// outOfStep is EvaluatorsOutOfStep with the evaluations the sums count, by
// month.
func outOfStep(r store.Reader, agency string, months []string) (out []string, counted map[string]int64, err error) {
	sums, err := report.EvaluationMonths(r, agency, "", "")
	if err != nil {
		return nil, nil, err
	}
	counted = map[string]int64{}
	for _, ms := range sums {
		counted[ms.Month] = ms.Sums[report.EvalCount]
	}
	noted, err := evaluationsNoted(r, agency)
	if err != nil {
		return nil, nil, err
	}
	if months == nil {
		months = slices.Sorted(maps.Keys(counted))
	}
	for _, m := range months {
		if counted[m] != noted[m] {
			out = append(out, m)
		}
	}
	return out, counted, nil
}

// evaluationsNoted reads agency's counts of the evaluations its evaluator
// counters account for, by month (EvaluatedPrefix).
func evaluationsNoted(r store.Reader, agency string) (map[string]int64, error) {
	noted := map[string]int64{}
	prefix := EvaluatedPrefix + agency + "|"
	err := r.Counts(prefix, func(k string, n int64) error {
		noted[strings.TrimPrefix(k, prefix)] = n
		return nil
	})
	return noted, err
}

// KeepEvaluators brings agency's months among months (every month if nil)
// in step, in tx, and says whether any was out of step: it reads the
// agency's evaluations, writes the evaluator counters that are missing (at
// most MinEvaluations a month, those Evaluate noted included) and sets each
// month's count of the evaluations accounted for to its sum
// (EvaluatedPrefix). Everything is read in tx, so that an evaluation a
// version without the counters commits meanwhile (an older replica, which
// the upgrade rule forbids and nothing on bbolt prevents) either is in
// what is kept or leaves its month out of step: read from one transaction
// and written by another, the count took it in without its enterprise (a
// review, 2026-12-07). On PostgreSQL SERIALIZABLE retries one of the two.
func KeepEvaluators(tx store.Tx, agency string, months []string) (bool, error) {
	out, counted, err := outOfStep(tx, agency, months)
	if err != nil || len(out) == 0 {
		return false, err
	}
	evaluators, err := readEvaluators(tx, agency)
	if err != nil {
		return false, err
	}
	for _, m := range out {
		for _, uscc := range slices.Sorted(maps.Keys(evaluators[m])) {
			if err := noteEvaluator(tx, agency, m, uscc); err != nil {
				return false, err
			}
		}
		if err := store.SetCount(tx, EvaluatedPrefix+agency+"|"+m, counted[m]); err != nil {
			return false, err
		}
	}
	return true, nil
}

// MarkEvaluatorsKept keeps now's month as that of the last check
// (EvaluatorsKept).
func MarkEvaluatorsKept(tx store.Tx, now time.Time) error {
	month, err := report.MonthStamp(now)
	if err != nil {
		return err
	}
	return store.SetCount(tx, EvaluatorsKept, month)
}
