package inspection

import (
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
		evaluators, err := evaluatorsByMonth(r, agency, closed)
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

// evaluatorsByMonth is, for each month (yyyymm) before before, the
// enterprises that evaluated agency's inspections in it: the month of an
// evaluation's counters is that of its time (report.Month). An evaluation
// of a visit that is not an inspection is in no sum (Evaluate), so its
// enterprise is none of a batch's: it made a third "enterprise" beside two
// whose three answers were then released. (Those evaluated before
// 2026-12-07 are in the sums and left out here all the same: a batch waits
// longer, it never shows fewer enterprises' answers.)
func evaluatorsByMonth(r store.Reader, agency, before string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	var visits map[string]*ruqiv1.Inspection
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
	err := store.Each(500, read,
		(*ruqiv1.Evaluation).GetInspectionId, func(ev *ruqiv1.Evaluation) error {
			m := report.Month(ev.GetAt().AsTime())
			if m >= before {
				return nil
			}
			if ins := visits[ev.GetInspectionId()]; ins != nil && !domain.IsInspection(ins.GetVisitKind()) {
				return nil
			}
			if out[m] == nil {
				out[m] = map[string]bool{}
			}
			out[m][ev.GetEnterpriseUscc()] = true
			return nil
		})
	return out, err
}
