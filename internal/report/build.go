package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Query selects a report.
type Query struct {
	From, To time.Time // first days of the first and last month, inclusive
	GroupBy  ruqiv1.GroupBy
	Region   string // division code; "" for all
	Agency   string // "" for all
	Top      int    // enterprises ranked when grouped by enterprise: 1 to MaxTop, 0 for the default
	// Now is when the report is read: inspections whose window begins
	// later are left out of the rates' denominators (startKey). Zero
	// takes every inspection as begun.
	Now time.Time
}

// notBegun is a report's own tally of the period's inspections whose
// window has not begun by Query.Now; no counter is kept under it.
const notBegun Metric = "not_begun"

// MaxTop bounds the enterprise ranking: each ranked enterprise costs a read
// of its previous year's counts.
const MaxTop = 500

// Months lists the counting months from q.From to q.To.
func (q Query) Months() []string {
	var out []string
	for m := q.From; !m.After(q.To); m = m.AddDate(0, 1, 0) {
		out = append(out, Month(m))
	}
	return out
}

func previousYear(months []string) []string {
	out := make([]string, len(months))
	for i, m := range months {
		var y, mo int
		fmt.Sscanf(m, "%4d%2d", &y, &mo)
		out[i] = fmt.Sprintf("%04d%02d", y-1, mo)
	}
	return out
}

// regionPrefix is the part of a division code that everything under it
// shares: 510000 → "51", 510100 → "5101".
func regionPrefix(region string) string {
	p := strings.TrimRight(region, "0")
	if len(p)%2 == 1 {
		p += "0"
	}
	return p
}

type tally struct{ cur, prev map[Metric]int64 }

func newTally() *tally { return &tally{cur: map[Metric]int64{}, prev: map[Metric]int64{}} }

// Build makes the report from the counters.
func Build(r store.Reader, q Query) (*ruqiv1.GetFrequencyReportResponse, error) {
	if q.To.Before(q.From) {
		return nil, domain.Invalidf("PERIOD_BACKWARDS", "报表期间的结束月份早于开始月份")
	}
	if q.Top < 0 || q.Top > MaxTop {
		return nil, domain.Invalidf("TOP_RANGE", "企业排名数应为 1 到 %d 之间的整数，收到 %d", MaxTop, q.Top)
	}
	if q.GroupBy == ruqiv1.GroupBy_GROUP_BY_ENTERPRISE && q.Agency != "" {
		// The per-enterprise counts are kept by region, not by agency: a
		// ranking "for AG-01" would rank every agency's inspections under
		// AG-01's totals (a 司法局 trial of the reports, 2026-12-06: 15
		// inspections "by AG-01" of an enterprise it may inspect twice a
		// year). Refused rather than shown wrong.
		return nil, domain.Invalidf("ENTERPRISE_RANKING_BY_AGENCY", "受检最多的企业按地区排名，不能限定执法部门：请去掉执法部门编号，或按执法部门分组查看 %s 的检查次数", q.Agency)
	}
	// Counted before the months are listed: from 0000-01 the list was
	// some 24,000 strings long before it was refused.
	if span := (q.To.Year()-q.From.Year())*12 + int(q.To.Month()-q.From.Month()) + 1; span > 120 {
		return nil, domain.Invalidf("PERIOD_TOO_LONG", "报表期间最长10年")
	}
	months := q.Months()
	prefix := regionPrefix(q.Region)
	keep := func(region, agency string) bool {
		return strings.HasPrefix(region, prefix) && (q.Agency == "" || agency == q.Agency)
	}
	groupOf := func(month, region, agency string) string {
		switch q.GroupBy {
		case ruqiv1.GroupBy_GROUP_BY_AGENCY:
			return agency
		case ruqiv1.GroupBy_GROUP_BY_REGION:
			return region
		case ruqiv1.GroupBy_GROUP_BY_MONTH:
			return month
		case ruqiv1.GroupBy_GROUP_BY_YEAR:
			return month[:4]
		}
		return ""
	}
	total := newTally()
	groups := map[string]*tally{}
	evals := map[string]map[Metric]int64{}
	metrics := []Metric{Inspections, Joined, Merged, Matched, Scanned, Refusals, Complaints, Late, FrequencyWarnings, NoFindingStreaks, CapsRefused, DuplicatesRefused,
		Mutual, ResultsWithoutCheckIn, CheckInsWithoutArrival, ArrivalsOutsideWindow, OverlappingCheckIns,
		EvalCount, EvalOverall, EvalCertificate, EvalRights, EvalProper, EntriesPatrol, EntriesPublicity, EntriesSurvey, EntriesService,
		PlansFiled, PlansApproved, PlansPublished, PlansPublishedLate, Random, RandomWithoutDraw}
	prevMonths := previousYear(months)
	for i := range months {
		for pass, month := range []string{months[i], prevMonths[i]} {
			for _, m := range metrics {
				err := r.Counts("R|"+string(m)+"|"+month+"|", func(k string, n int64) error {
					_, _, region, agency, err := parse(k)
					if err != nil || !keep(region, agency) {
						return err
					}
					side := total.cur
					if pass == 1 {
						side = total.prev
					}
					side[m] += n
					if strings.HasPrefix(string(m), "eval_") {
						if pass == 0 {
							if evals[agency] == nil {
								evals[agency] = map[Metric]int64{}
							}
							evals[agency][m] += n
						}
						return nil
					}
					if m != Inspections && m != Joined && m != Merged && m != Scanned {
						return nil
					}
					g := groupOf(months[i], region, agency) // previous-year rows group with the month they compare to
					if g == "" {
						return nil
					}
					if groups[g] == nil {
						groups[g] = newTally()
					}
					if pass == 0 {
						groups[g].cur[m] += n
					} else {
						groups[g].prev[m] += n
					}
					return nil
				})
				if err != nil {
					return nil, err
				}
			}
		}
	}

	if !q.Now.IsZero() && Month(q.Now) <= months[len(months)-1] {
		// The start counts of the minutes still ahead (the others are
		// pruned, or read and skipped): the period's inspections not begun.
		nowMinute, inPeriod := startMinute(q.Now), map[string]bool{}
		for _, m := range months {
			inPeriod[m] = true
		}
		err := r.Counts("S|"+prefix, func(k string, n int64) error {
			parts := strings.Split(k, "|")
			if len(parts) != 4 || len(parts[3]) != 12 || parts[3] <= nowMinute || !keep(parts[1], parts[2]) || !inPeriod[parts[3][:6]] {
				return nil
			}
			total.cur[notBegun] += n
			if g := groupOf(parts[3][:6], parts[1], parts[2]); g != "" && groups[g] != nil {
				groups[g].cur[notBegun] += n
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}

	resp := &ruqiv1.GetFrequencyReportResponse{
		FromMonth: q.From.Format("2006-01"), ToMonth: q.To.Format("2006-01"), GroupBy: q.GroupBy, RegionCode: q.Region,
		Totals: totals(total),
	}
	if q.GroupBy == ruqiv1.GroupBy_GROUP_BY_ENTERPRISE {
		rows, err := topEnterprises(r, months, prevMonths, prefix, q.Top)
		if err != nil {
			return nil, err
		}
		resp.Rows = rows
	} else {
		for g, t := range groups {
			resp.Rows = append(resp.Rows, row(g, label(r, q.GroupBy, g), t))
		}
		sort.Slice(resp.Rows, func(i, j int) bool {
			if q.GroupBy == ruqiv1.GroupBy_GROUP_BY_MONTH || q.GroupBy == ruqiv1.GroupBy_GROUP_BY_YEAR {
				return resp.Rows[i].Key < resp.Rows[j].Key
			}
			if resp.Rows[i].Inspections != resp.Rows[j].Inspections {
				return resp.Rows[i].Inspections > resp.Rows[j].Inspections
			}
			return resp.Rows[i].Key < resp.Rows[j].Key
		})
	}
	for agency, e := range evals {
		n := e[EvalCount]
		if n == 0 {
			continue
		}
		ae := &ruqiv1.AgencyEvaluation{AgencyId: agency, AgencyName: label(r, ruqiv1.GroupBy_GROUP_BY_AGENCY, agency), Evaluations: n,
			OverallAverage: float64(e[EvalOverall]) / float64(n), CertificateShownShare: float64(e[EvalCertificate]) / float64(n),
			RightsExplainedShare: float64(e[EvalRights]) / float64(n), ConductedProperlyShare: float64(e[EvalProper]) / float64(n)}
		resp.Evaluations = append(resp.Evaluations, ae)
	}
	sort.Slice(resp.Evaluations, func(i, j int) bool { return resp.Evaluations[i].AgencyId < resp.Evaluations[j].AgencyId })

	leads := map[ruqiv1.LeadStatus]int64{}
	err := r.Counts("L|", func(k string, n int64) error {
		parts := strings.Split(k, "|")
		if len(parts) == 3 && strings.HasPrefix(parts[2], prefix) {
			leads[ruqiv1.LeadStatus(ruqiv1.LeadStatus_value[parts[1]])] += n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for s := ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED; s <= ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED; s++ {
		resp.Leads = append(resp.Leads, &ruqiv1.LeadCount{Status: s, Count: leads[s]})
	}
	return resp, nil
}

func change(cur, prev int64) (float64, bool) {
	if prev == 0 {
		return 0, false
	}
	return float64(cur-prev) / float64(prev), true
}

func row(key, label string, t *tally) *ruqiv1.ReportRow {
	c, ok := change(t.cur[Inspections], t.prev[Inspections])
	return &ruqiv1.ReportRow{Key: key, Label: label, Inspections: t.cur[Inspections], PreviousYear: t.prev[Inspections],
		Change: c, HasChange: ok, Visits: t.cur[Inspections] - t.cur[Joined] - t.cur[Merged], Scanned: t.cur[Scanned],
		Begun: t.cur[Inspections] - max(t.cur[notBegun], 0)}
}

func totals(t *tally) *ruqiv1.ReportTotals {
	ins := t.cur[Inspections]
	c, ok := change(ins, t.prev[Inspections])
	tot := &ruqiv1.ReportTotals{
		Inspections: ins, PreviousYear: t.prev[Inspections], Change: c, HasChange: ok,
		Visits: ins - t.cur[Joined] - t.cur[Merged], JoinedPlans: t.cur[Joined], VisitsAvoided: t.cur[Joined] + t.cur[Merged],
		Scanned: t.cur[Scanned], Refusals: t.cur[Refusals], Complaints: t.cur[Complaints], LateRegistrations: t.cur[Late],
		FrequencyWarnings: t.cur[FrequencyWarnings], NoFindingStreaks: t.cur[NoFindingStreaks], CapsRefused: t.cur[CapsRefused], DuplicatesRefused: t.cur[DuplicatesRefused],
		MutuallyVerified: t.cur[Mutual], ResultsWithoutCheckIn: t.cur[ResultsWithoutCheckIn], CheckInsWithoutArrival: t.cur[CheckInsWithoutArrival],
		ArrivalsOutsideWindow: t.cur[ArrivalsOutsideWindow], OverlappingCheckIns: t.cur[OverlappingCheckIns],
		VisitsAvoidedByMatching:     t.cur[Matched],
		VisitsAvoidedAtRegistration: t.cur[Joined] + t.cur[Merged] - t.cur[Matched],
		PlansFiled:                  t.cur[PlansFiled], PlansApproved: t.cur[PlansApproved], PlansPublished: t.cur[PlansPublished], PlansPublishedLate: t.cur[PlansPublishedLate],
		RandomRegistrations: t.cur[Random], RandomWithoutDraw: t.cur[RandomWithoutDraw],
	}
	tot.VisitsByKind = append(tot.VisitsByKind, &ruqiv1.VisitKindCount{VisitKind: ruqiv1.VisitKind_VISIT_KIND_INSPECTION, Count: ins})
	for _, e := range entryKinds {
		tot.VisitsByKind = append(tot.VisitsByKind, &ruqiv1.VisitKindCount{VisitKind: e.kind, Count: t.cur[e.m]})
	}
	tot.Begun = ins - max(t.cur[notBegun], 0)
	if ins > 0 {
		tot.JointShare = float64(t.cur[Joined]) / float64(ins)
	}
	if tot.Begun > 0 {
		tot.ScanRate = float64(t.cur[Scanned]) / float64(tot.Begun)
		tot.MutualRate = float64(t.cur[Mutual]) / float64(tot.Begun)
	}
	return tot
}

// topEnterprises reads the per-enterprise counts of the period and keeps the
// top n; their previous-year counts are point reads.
func topEnterprises(r store.Reader, months, prevMonths []string, prefix string, n int) ([]*ruqiv1.ReportRow, error) {
	if n <= 0 {
		n = 20
	}
	counts := map[string]int64{}
	// An enterprise that moved has counts under each region it was in
	// (inspection.PlanRegion keeps a plan where it was counted): its row
	// adds up every one of them, as the totals do (an operator's trial of
	// the reports, 2026-12-05, found a moved enterprise's row reading
	// scanned, joined and last year's inspections under one region).
	regionsOf := map[string]map[string]bool{}
	for _, m := range months {
		err := r.Counts("E|"+string(Inspections)+"|"+m+"|"+prefix, func(k string, c int64) error {
			parts := strings.Split(k, "|")
			if len(parts) == 5 {
				counts[parts[4]] += c
				if regionsOf[parts[4]] == nil {
					regionsOf[parts[4]] = map[string]bool{}
				}
				regionsOf[parts[4]][parts[3]] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	type kv struct {
		uscc string
		n    int64
	}
	var list []kv
	for u, c := range counts {
		if c > 0 {
			list = append(list, kv{u, c})
		}
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].n > list[j].n || (list[i].n == list[j].n && list[i].uscc < list[j].uscc)
	})
	if len(list) > n {
		list = list[:n]
	}
	// Last year's inspections of the enterprises shown, under whatever
	// region they were counted in then.
	prev := map[string]int64{}
	for _, e := range list {
		prev[e.uscc] = 0
	}
	for _, m := range prevMonths {
		err := r.Counts("E|"+string(Inspections)+"|"+m+"|"+prefix, func(k string, c int64) error {
			parts := strings.Split(k, "|")
			if len(parts) == 5 {
				if _, shown := prev[parts[4]]; shown {
					prev[parts[4]] += c
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var rows []*ruqiv1.ReportRow
	for _, e := range list {
		t := newTally()
		t.cur[Inspections] = e.n
		t.prev[Inspections] = prev[e.uscc]
		for i := range months {
			for region := range regionsOf[e.uscc] {
				for _, m := range []Metric{Joined, Merged, Scanned} {
					c, err := r.Count(enterpriseKey(m, months[i], region, e.uscc))
					if err != nil {
						return nil, err
					}
					t.cur[m] += c
				}
			}
		}
		rows = append(rows, row(e.uscc, label(r, ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, e.uscc), t))
	}
	return rows, nil
}

func label(r store.Reader, g ruqiv1.GroupBy, key string) string {
	switch g {
	case ruqiv1.GroupBy_GROUP_BY_AGENCY:
		if a, err := r.Agency(key); err == nil {
			return a.GetName()
		} else if key == "" {
			return "（未关联部门）"
		}
	case ruqiv1.GroupBy_GROUP_BY_ENTERPRISE:
		if e, err := r.Enterprise(key); err == nil {
			return e.GetName()
		}
	case ruqiv1.GroupBy_GROUP_BY_MONTH:
		var y, m int
		fmt.Sscanf(key, "%4d%2d", &y, &m)
		return fmt.Sprintf("%d年%d月", y, m)
	case ruqiv1.GroupBy_GROUP_BY_YEAR:
		return key + "年"
	}
	return key
}
