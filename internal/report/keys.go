// Package report builds the 司法局's frequency reports from counters that the
// service keeps in the same transaction as the events they count. It owns
// the counter keys: the service writes them through Add, the report reads
// them by prefix, so a report costs the groups it shows, not the history.
package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Metric names a counted thing.
type Metric string

const (
	Inspections       Metric = "ins"     // registered, not cancelled
	Joined            Metric = "joined"  // joined another agency's visit (a visit avoided)
	Merged            Metric = "merged"  // visits a bridging plan made one (the rule before common times; old months only)
	Matched           Metric = "matched" // of Joined: joined a joint visit agreed beforehand (拼团), a visit avoided by matching
	Scanned           Metric = "scanned" // code scanned valid at the enterprise (亮码)
	Refusals          Metric = "refused"
	Complaints        Metric = "complained"
	Late              Metric = "late"
	Random            Metric = "random"        // 双随机 registered (as Late: a cancellation leaves it)
	RandomWithoutDraw Metric = "random_nodraw" // of Random: naming no draw
	FrequencyWarnings Metric = "warned"
	NoFindingStreaks  Metric = "streak"
	CapsRefused       Metric = "capped"
	DuplicatesRefused Metric = "duplicate"
	// 两码互核 and the door warnings (不扫码 / 虚假扫码), once per inspection.
	Mutual                 Metric = "mutual"
	ResultsWithoutCheckIn  Metric = "w_nocheckin"
	CheckInsWithoutArrival Metric = "w_noarrival"
	ArrivalsOutsideWindow  Metric = "w_outside"
	OverlappingCheckIns    Metric = "w_overlap"
	EvalCount              Metric = "eval_n"
	EvalOverall            Metric = "eval_overall"
	EvalCertificate        Metric = "eval_cert"
	EvalRights             Metric = "eval_rights"
	EvalProper             Metric = "eval_proper"
	// EvalDue counts inspections closed (办结), in the month after the one
	// they closed in (MonthAfter), the first their enterprise had whole to
	// evaluate in: each is one enterprise that may evaluate. The agency's
	// summary is released only while enough of them have not
	// (inspection.releasedSums). Counted by the closing's own month until
	// 2026-12-07, closings at 23:30 on a month's last day released that
	// month's batch, whose evaluators could then only be the enterprises
	// closed before.
	EvalDue Metric = "eval_due"
	// Inspection plans, in the month of the step, by the agency's region.
	PlansFiled         Metric = "plan_filed"
	PlansApproved      Metric = "plan_approved"
	PlansPublished     Metric = "plan_published"
	PlansPublishedLate Metric = "plan_late"
)

// Entries of the kinds that are not inspections (日常巡查, 政策宣传, 走访调研,
// 服务): registered, not cancelled. An inspection counts as Inspections.
const (
	EntriesPatrol    Metric = "entry_patrol"
	EntriesPublicity Metric = "entry_publicity"
	EntriesSurvey    Metric = "entry_survey"
	EntriesService   Metric = "entry_service"
)

// entryKinds pairs each entry metric with its kind, in report order.
var entryKinds = []struct {
	m    Metric
	kind ruqiv1.VisitKind
}{
	{EntriesPatrol, ruqiv1.VisitKind_VISIT_KIND_PATROL},
	{EntriesPublicity, ruqiv1.VisitKind_VISIT_KIND_PUBLICITY},
	{EntriesSurvey, ruqiv1.VisitKind_VISIT_KIND_SURVEY},
	{EntriesService, ruqiv1.VisitKind_VISIT_KIND_SERVICE},
}

// PlanMetric is what a registered plan of kind k counts as: an inspection,
// or an entry of its own kind, which no inspection figure (亮码率, joint
// share, the most-inspected enterprises) includes.
func PlanMetric(k ruqiv1.VisitKind) Metric {
	for _, e := range entryKinds {
		if e.kind == k {
			return e.m
		}
	}
	return Inspections
}

// Month is the counting month of t, in Beijing time.
func Month(t time.Time) string { return t.In(domain.Shanghai).Format("200601") }

// MonthAfter is the start of the counting month after t's, in Beijing time.
func MonthAfter(t time.Time) time.Time {
	t = t.In(domain.Shanghai)
	return time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, domain.Shanghai)
}

// key is R|metric|yyyymm|region|agency: the finest grain a report groups
// by, apart from enterprises.
func key(m Metric, month, region, agency string) string {
	return "R|" + string(m) + "|" + month + "|" + region + "|" + agency
}

// enterpriseKey is E|metric|yyyymm|region|uscc, for the most-inspected
// enterprises and their visits and scans.
func enterpriseKey(m Metric, month, region, uscc string) string {
	return "E|" + string(m) + "|" + month + "|" + region + "|" + uscc
}

// startKey is S|region|agency|yyyymmddhhmm: inspections by the minute
// their window starts (Beijing time); by the hour, a window later in the
// hour read as begun (an operator's trial, 2026-12-06). A report takes those not begun by the
// time it is read out of 亮码率's and 两码互核率's denominators: a code
// cannot be scanned before its window, and a month read in its first week
// showed 5.9% where every code that could have been shown was scanned (a
// 司法局 trial of the reports, 2026-12-06). Inspections registered before
// these counters existed have none and count as begun, as they did. Only
// hours still ahead are ever read, so the hours gone by are dropped
// (PruneStarts, hourly): the counters stay as few as the plans not yet begun,
// not one per plan for good.
func startKey(t time.Time, region, agency string) string {
	return "S|" + region + "|" + agency + "|" + startMinute(t)
}

func startMinute(t time.Time) string { return t.In(domain.Shanghai).Format("200601021504") }

// PruneStarts drops the start counts of the minutes before now's, which no
// report reads again: taken to zero, which neither store keeps (bbolt
// deletes the key, PostgreSQL's sequencer the row as it folds the delta).
// The server runs it hourly on the replica that
// sequences the events (Service.RunStartPruning), in a transaction of its
// own: done in each registration it read a range that concurrent
// registrations of the same agency write, which PostgreSQL's SERIALIZABLE
// turns into retries (a review, 2026-12-06).
func PruneStarts(tx store.Tx, now time.Time) error {
	cut := startMinute(now)
	_, err := store.DropCounts(tx, "S|", func(k string) bool { return k[strings.LastIndexByte(k, '|')+1:] < cut })
	return err
}

// leadKey is L|status|region: leads by their current status.
func leadKey(status, region string) string { return "L|" + status + "|" + region }

// Add counts delta of m at time t for an enterprise's region and an agency,
// in tx. Inspections, joined plans and scans are also counted per
// enterprise.
func Add(tx store.Tx, m Metric, t time.Time, region, agency, uscc string, delta int64) error {
	month := Month(t)
	if err := tx.AddCount(key(m, month, region, agency), delta); err != nil {
		return err
	}
	if slices.Contains(evalMetrics, m) {
		if err := tx.AddCount(agencyEvalKey(m, month, region, agency), delta); err != nil {
			return err
		}
	}
	if m == Inspections {
		k := startKey(t, region, agency)
		if delta < 0 {
			// A plan registered before these counts existed was never
			// counted here: its cancellation must not take another's
			// count, or leave a negative one that would read as more
			// begun than registered (a review, 2026-12-06).
			n, err := tx.Count(k)
			if err != nil {
				return err
			}
			delta = max(delta, -n)
		}
		if delta != 0 {
			if err := tx.AddCount(k, delta); err != nil {
				return err
			}
		}
	}
	if (m == Inspections || m == Joined || m == Merged || m == Scanned) && uscc != "" {
		return tx.AddCount(enterpriseKey(m, month, region, uscc), delta)
	}
	return nil
}

// MoveLead counts a lead leaving one status (empty for a new lead) for
// another.
func MoveLead(tx store.Tx, region, from, to string) error {
	if from != "" {
		if err := tx.AddCount(leadKey(from, region), -1); err != nil {
			return err
		}
	}
	return tx.AddCount(leadKey(to, region), 1)
}

// RehomeLead moves a lead's count in status from region from to region to:
// its enterprise moved, and the lead goes to the region that oversees it.
func RehomeLead(tx store.Tx, status, from, to string) error {
	if err := tx.AddCount(leadKey(status, from), -1); err != nil {
		return err
	}
	return tx.AddCount(leadKey(status, to), 1)
}

// parseAgencyEval splits a V key (agencyEvalKey) into its parts.
func parseAgencyEval(k string) (month, region, agency string, err error) {
	parts := strings.Split(k, "|")
	if len(parts) != 5 || parts[0] != "V" {
		return "", "", "", fmt.Errorf("report: bad counter key %q", k)
	}
	return parts[3], parts[4], parts[1], nil
}

// EvalMonth is one evaluation metric's counters of one month (yyyymm).
type EvalMonth struct {
	Metric Metric
	Month  string
}

// EvalMonthsCounted lists the metrics and months that have R evaluation
// counters, for EvalsOutOfStep.
func EvalMonthsCounted(r store.Reader) ([]EvalMonth, error) {
	var out []EvalMonth
	for _, m := range evalMetrics {
		err := r.Counts("R|"+string(m)+"|", func(k string, _ int64) error {
			_, month, _, _, err := parse(k)
			if err == nil && (len(out) == 0 || out[len(out)-1] != EvalMonth{m, month}) {
				out = append(out, EvalMonth{m, month})
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EvalMonthsToCheck lists the metrics and months whose evaluation counters
// may be out of step with their agency's at a start at now: every month
// counted on a store never checked (AgencyEvalsKept unset), else the
// months from the last check's (AgencyEvalsKept's value) to the month after
// now's. A version rolled back to between two starts of this one counts
// only in the months it ran in (an evaluation in its month, a closing in
// the month after, EvalDue), so a start reads the months since the
// previous start, not every month of the province's history.
func EvalMonthsToCheck(r store.Reader, now time.Time) ([]EvalMonth, error) {
	kept, err := r.Count(AgencyEvalsKept)
	if err != nil {
		return nil, err
	}
	months := MonthsSinceCheck(kept, now)
	if months == nil {
		return EvalMonthsCounted(r)
	}
	var out []EvalMonth
	for _, m := range evalMetrics {
		for _, mo := range months {
			out = append(out, EvalMonth{m, mo})
		}
	}
	return out, nil
}

// MonthsSinceCheck lists the months (yyyymm) from checked's, a month kept
// as a number by a start's check (MarkEvalsKept), to the month after now's:
// those a version rolled back to since that check could have counted in.
// It is nil if checked names no month (never checked).
func MonthsSinceCheck(checked int64, now time.Time) []string {
	from, err := time.ParseInLocation("200601", fmt.Sprintf("%06d", checked), domain.Shanghai)
	if checked < 100000 || err != nil {
		return nil
	}
	var out []string
	for t, last := from, Month(MonthAfter(now)); Month(t) <= last; t = MonthAfter(t) {
		out = append(out, Month(t))
	}
	return out
}

// AgenciesEvaluated lists the agencies with evaluations counted (R keys)
// in any of months, or in any month if months is nil.
func AgenciesEvaluated(r store.Reader, months []string) ([]string, error) {
	prefixes := []string{"R|" + string(EvalCount) + "|"}
	if months != nil {
		prefixes = prefixes[:0]
		for _, m := range months {
			prefixes = append(prefixes, "R|"+string(EvalCount)+"|"+m+"|")
		}
	}
	seen := map[string]bool{}
	for _, prefix := range prefixes {
		err := r.Counts(prefix, func(k string, _ int64) error {
			_, _, _, agency, err := parse(k)
			seen[agency] = true
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// MonthStamp is now's month as a number (yyyymm), as a start's check keeps
// it (MarkEvalsKept, MonthsSinceCheck).
func MonthStamp(now time.Time) (int64, error) { return strconv.ParseInt(Month(now), 10, 64) }

// MarkEvalsKept says, in tx, that every evaluation counter is kept under
// its agency, as checked by a start at now (AgencyEvalsKept).
func MarkEvalsKept(tx store.Tx, now time.Time) error {
	month, err := MonthStamp(now)
	if err != nil {
		return err
	}
	return store.SetCount(tx, AgencyEvalsKept, month)
}

// EvalsOutOfStep returns the R keys of em whose agency's counter
// (agencyEvalKey) differs from them: all of them on a store an older
// version counted, none once KeepEvalsByAgency has copied them, but those
// an older version counted since (a version rolled back to) again. One
// month's counters are read at a time, a few tens of thousands in a
// province.
func EvalsOutOfStep(r store.Reader, em EvalMonth) ([]string, error) {
	type at struct{ region, agency string }
	want := map[at]int64{}
	keyOf := map[at]string{}
	var agencies []string
	err := r.Counts("R|"+string(em.Metric)+"|"+em.Month+"|", func(k string, n int64) error {
		_, _, region, agency, err := parse(k)
		if err != nil {
			return err
		}
		if !slices.Contains(agencies, agency) {
			agencies = append(agencies, agency)
		}
		want[at{region, agency}], keyOf[at{region, agency}] = n, k
		return nil
	})
	if err != nil {
		return nil, err
	}
	have := map[at]int64{}
	for _, agency := range agencies {
		err := r.Counts("V|"+agency+"|"+string(em.Metric)+"|"+em.Month+"|", func(k string, n int64) error {
			_, region, _, err := parseAgencyEval(k)
			have[at{region, agency}] = n
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	var out []string
	for a, n := range want {
		if have[a] != n {
			out = append(out, keyOf[a])
		}
	}
	slices.Sort(out)
	return out, nil
}

// KeepEvalsByAgency sets, in tx, the agency's counter of each of keys (R
// keys of evaluation counters, EvalsOutOfStep) to the R counter's value. A
// value set this way is the R counter's at that moment; Add adds to both
// from then on, so the two stay equal however the keys are split among
// transactions.
func KeepEvalsByAgency(tx store.Tx, keys []string) error {
	for _, k := range keys {
		m, month, region, agency, err := parse(k)
		if err != nil {
			return err
		}
		n, err := tx.Count(k)
		if err != nil {
			return err
		}
		if err := store.SetCount(tx, agencyEvalKey(m, month, region, agency), n); err != nil {
			return err
		}
	}
	return nil
}

// parse splits an R key into its parts.
func parse(k string) (m Metric, month, region, agency string, err error) {
	parts := strings.Split(k, "|")
	if len(parts) != 5 || parts[0] != "R" {
		return "", "", "", "", fmt.Errorf("report: bad counter key %q", k)
	}
	return Metric(parts[1]), parts[2], parts[3], parts[4], nil
}

// EvaluationsBefore sums an agency's evaluation counters over the months
// before month (yyyymm): closed periods, which no new evaluation changes.
// An empty month sums every month.
func EvaluationsBefore(r store.Reader, agency, month string) (map[Metric]int64, error) {
	months, err := EvaluationMonths(r, agency, month, "")
	if err != nil {
		return nil, err
	}
	return Sum(months), nil
}

// Sum adds months' counters together.
func Sum(months []MonthSums) map[Metric]int64 {
	out := map[Metric]int64{}
	for _, ms := range months {
		for m, n := range ms.Sums {
			out[m] += n
		}
	}
	return out
}

// MonthSums are an agency's evaluation counters of one month (yyyymm).
type MonthSums struct {
	Month string
	Sums  map[Metric]int64
}

// evalMetrics are the evaluation counters, kept under the agency too
// (agencyEvalKey).
var evalMetrics = []Metric{EvalCount, EvalOverall, EvalCertificate, EvalRights, EvalProper, EvalDue}

// agencyEvalKey is V|agency|metric|yyyymm|region: an evaluation counter
// under its agency first, so that one agency's summary reads its own
// counters (EvaluationMonths), where the R keys, which name the agency
// last, made it read every agency's of every month and region: some 2.6
// million counters after a province's year, per call (a review of what
// grows with history, 2026-12-07).
func agencyEvalKey(m Metric, month, region, agency string) string {
	return "V|" + agency + "|" + string(m) + "|" + month + "|" + region
}

// AgencyEvalsKept is set once every evaluation counter is kept under its
// agency too (KeepEvalsByAgency): until then, on a store an older version
// wrote, EvaluationMonths reads the R keys. Its value is the month
// (yyyymm, as a number) of the start whose check set it last
// (MarkEvalsKept, EvalMonthsToCheck).
const AgencyEvalsKept = "eval_by_agency"

// EvaluationMonths is EvaluationsBefore month by month, oldest first, for
// months with evaluations, of the enterprises within region (a division
// code a supervisor oversees; "" for all).
func EvaluationMonths(r store.Reader, agency, month, region string) ([]MonthSums, error) {
	kept, err := r.Count(AgencyEvalsKept)
	if err != nil {
		return nil, err
	}
	by := map[string]map[Metric]int64{}
	for _, m := range evalMetrics {
		prefix := "R|" + string(m) + "|"
		if kept > 0 {
			prefix = "V|" + agency + "|" + string(m) + "|"
		}
		err := r.Counts(prefix, func(k string, n int64) error {
			var mo, rg, ag string
			var err error
			if kept > 0 {
				mo, rg, ag, err = parseAgencyEval(k)
			} else {
				_, mo, rg, ag, err = parse(k)
			}
			if err == nil && ag == agency && (month == "" || mo < month) && (region == "" || domain.RegionCovers(region, rg)) {
				if by[mo] == nil {
					by[mo] = map[Metric]int64{}
				}
				by[mo][m] += n
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]MonthSums, 0, len(by))
	for mo, sums := range by {
		if sums[EvalCount] != 0 || sums[EvalDue] != 0 {
			out = append(out, MonthSums{Month: mo, Sums: sums})
		}
	}
	slices.SortFunc(out, func(a, b MonthSums) int { return strings.Compare(a.Month, b.Month) })
	return out, nil
}

// How a plan is counted: as a visit of its own, or as a visit avoided (it
// joined another agency's visit, counted under Joined). Kept per plan so that
// a cancellation takes back exactly what was counted, and a plan that comes
// to hold its visit (its holder cancelled) stops counting as avoided.
const (
	planVisit  = 1
	planJoined = 2
)

func planKey(inspectionID string) string { return "P|" + inspectionID }

// MarkPlan records how a new plan is counted.
func MarkPlan(tx store.Tx, inspectionID string, joined bool) error {
	want := int64(planVisit)
	if joined {
		want = planJoined
	}
	return store.SetCount(tx, planKey(inspectionID), want)
}

// MarkHoldsVisit records that a plan counted as a visit avoided holds its
// visit now.
func MarkHoldsVisit(tx store.Tx, inspectionID string) error {
	return store.SetCount(tx, planKey(inspectionID), planVisit)
}

// PlanJoined reports whether a plan is counted as a visit avoided. Plans
// registered before this mark existed answer legacy: whether their stored
// record named a joint inspection when they were registered.
func PlanJoined(r store.Reader, inspectionID string, legacy bool) (bool, error) {
	n, err := r.Count(planKey(inspectionID))
	if err != nil || n == 0 {
		return legacy, err
	}
	return n == planJoined, nil
}

// Once reports whether this is the first time mark is set, and sets it:
// what is counted once per inspection (its 两码互核, each door warning)
// keeps its mark among the counters, in the step's transaction.
func Once(tx store.Tx, mark string) (bool, error) {
	k := "O|" + mark
	n, err := tx.Count(k)
	if err != nil || n != 0 {
		return false, err
	}
	return true, tx.AddCount(k, 1)
}

// matchedKey marks a plan registered from an accepted proposal (拼团) that
// joined its visit, so that a cancellation or a hand-over takes back the
// Matched count exactly.
func matchedKey(inspectionID string) string { return "PM|" + inspectionID }

// MarkMatched records that a plan joined a visit agreed by matching.
func MarkMatched(tx store.Tx, inspectionID string) error {
	return store.SetCount(tx, matchedKey(inspectionID), 1)
}

// PlanMatched reports whether a plan is counted as a visit avoided by
// matching.
func PlanMatched(r store.Reader, inspectionID string) (bool, error) {
	n, err := r.Count(matchedKey(inspectionID))
	return n == 1, err
}

// UnmarkMatched records that a plan no longer counts as avoided by
// matching (it was cancelled, or holds the visit now).
func UnmarkMatched(tx store.Tx, inspectionID string) error {
	return store.SetCount(tx, matchedKey(inspectionID), 0)
}
