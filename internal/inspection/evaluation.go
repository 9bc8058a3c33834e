package inspection

import (
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// MinEvaluations is the fewest evaluations an agency's summary shows shares
// for: below it, one enterprise's answer could be read off the figures.
const MinEvaluations = 3

// EvaluationSummary is what p may see of an agency's evaluations (评价):
// sums, never the evaluations. Evaluations are anonymous towards the agency
// (深圳龙华: 不可见、不可溯): its officers and administrators see closed months
// only, and nothing below MinEvaluations; supervisors see every month.
func EvaluationSummary(r store.Reader, p auth.Principal, now time.Time, agency string) (*ruqiv1.EvaluationSummary, error) {
	agencySide := p.Is(ruqiv1.Role_ROLE_OFFICER) || p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN)
	if agencySide || agency == "" {
		var err error
		if agency, err = AgencyOf(r, p, agency); err != nil {
			return nil, err
		}
	}
	// Live sums would let an agency read one enterprise's answers off the
	// difference before and after its visit: the agency sees closed months
	// only, which no longer change.
	before := ""
	if agencySide {
		before = report.Month(now)
	}
	sums, err := report.EvaluationsBefore(r, agency, before)
	if err != nil {
		return nil, err
	}
	n := float64(sums[report.EvalCount])
	sum := &ruqiv1.EvaluationSummary{AgencyId: agency, MinCount: MinEvaluations}
	if n >= MinEvaluations || !agencySide {
		sum.Evaluations = int32(n)
	}
	if n >= MinEvaluations {
		sum.CertificateShownShare = float64(sums[report.EvalCertificate]) / n
		sum.RightsExplainedShare = float64(sums[report.EvalRights]) / n
		sum.ConductedProperlyShare = float64(sums[report.EvalProper]) / n
		sum.OverallAverage = float64(sums[report.EvalOverall]) / n
	}
	return sum, nil
}
