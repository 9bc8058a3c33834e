package inspection

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// What a registration, a result and an evaluation decided is written into
// their events' detail, so that the log, which nobody can rewrite unseen,
// commits to it: an enterprise's receipt shows who was registered, which
// items, when, what was found and what it scored, and a record rewritten at
// rest no longer matches its event (CheckRecords). Until 2026-12-06 these
// events named only the type (a trial of the record: an operator could swap
// a registered officer, or turn a score of 1 into 5, and every check held).
//
// The detail is words separated by spaces: the type first for a
// registration, the items' outcomes first for a result (as before), then
// name=value, free text quoted (strconv.Quote). A registration's detail has
// "agency=", a result's "summary=" and an evaluation's "overall=": details
// written before have none and are not checked.
//
// Events are never rewritten, so these forms are part of the file format:
// a change to what a detail holds must leave the events a released version
// wrote checkable (keep the old form and accept either), or every record of
// an upgraded province reads as rewritten. A trial of the upgrade
// (2026-12-06) saw that with data of commits between releases, which wrote
// the case trigger (removed before the release of 2026-12-06) and no late=
// (added before it); no released version wrote either form.

// RegistrationDetail is a registration event's detail: the type (or the
// kind of a visit that is not an inspection), then what was registered, but
// for the case trigger.
func RegistrationDetail(ins *ruqiv1.Inspection) string {
	var b strings.Builder
	b.WriteString(ins.GetType().String())
	if !domain.IsInspection(ins.GetVisitKind()) {
		b.Reset()
		b.WriteString(ins.GetVisitKind().String())
	}
	word(&b, "agency", ins.GetAgencyId())
	word(&b, "officers", strings.Join(ins.GetOfficerIds(), ","))
	word(&b, "items", strings.Join(ins.GetCheckItemIds(), ","))
	word(&b, "window", stamp(ins.GetWindowStart().AsTime())+"-"+stamp(ins.GetWindowEnd().AsTime()))
	text(&b, "reason", ins.GetReason())
	if ins.GetLate() {
		// Recorded after the visit (先检查后补录): a record made to look
		// registered ahead differs (a trial of replicas, 2026-12-06).
		text(&b, "late", ins.GetLateReason())
	}
	if ins.GetStreakReason() != "" {
		// Why an officer who found nothing three times in a row inspects
		// again (成都): the reason that released the hold is on record.
		text(&b, "streak", ins.GetStreakReason())
	}
	// Not the case trigger (the complaint's or referral's number): the
	// enterprise reads this detail in its receipt, and is never shown who
	// complained (a review, 2026-12-06).
	optional(&b, "plan", ins.GetPlanId())
	optional(&b, "draw", ins.GetDrawId())
	return b.String()
}

// ResultDetail is a result event's detail: each item's outcome, then its
// deadline and note where it has them, and the summary.
func ResultDetail(res *ruqiv1.InspectionResult) string {
	var b strings.Builder
	b.WriteString(outcomeSummary(res.GetItems()))
	for _, it := range res.GetItems() {
		if d := it.GetRectificationDeadline(); d != nil {
			word(&b, it.GetCheckItemId()+".deadline", stamp(d.AsTime()))
		}
		if it.GetNote() != "" {
			text(&b, it.GetCheckItemId()+".note", it.GetNote())
		}
	}
	text(&b, "summary", res.GetSummary())
	return strings.TrimPrefix(b.String(), " ")
}

// EvaluationDetail is an evaluation event's detail: what the enterprise
// answered. Events are read by the 司法局 and administrators only, who read
// evaluations anyway; the agency reads neither.
func EvaluationDetail(ev *ruqiv1.Evaluation) string {
	var b strings.Builder
	word(&b, "certificate", strconv.FormatBool(ev.GetCertificateShown()))
	word(&b, "rights", strconv.FormatBool(ev.GetRightsExplained()))
	word(&b, "proper", strconv.FormatBool(ev.GetConductedProperly()))
	word(&b, "overall", strconv.Itoa(int(ev.GetOverall())))
	text(&b, "comment", ev.GetComment())
	return strings.TrimPrefix(b.String(), " ")
}

func word(b *strings.Builder, name, value string) {
	b.WriteString(" " + name + "=" + value)
}

func text(b *strings.Builder, name, value string) {
	word(b, name, strconv.Quote(value))
}

func optional(b *strings.Builder, name, value string) {
	if value != "" {
		text(b, name, value)
	}
}

// stamp is an instant as Unix seconds, with nanoseconds only if it has any.
func stamp(t time.Time) string {
	s := strconv.FormatInt(t.Unix(), 10)
	if ns := t.Nanosecond(); ns != 0 {
		s += fmt.Sprintf(".%09d", ns)
	}
	return s
}

// hasContent says whether an event's detail carries its record's content
// (written since 2026-12-06).
func hasContent(e *ruqiv1.Event) bool {
	d := " " + e.GetDetail()
	switch e.GetType() {
	case ruqiv1.EventType_EVENT_TYPE_REGISTERED:
		return strings.Contains(d, " agency=")
	case ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED:
		return strings.Contains(d, " summary=")
	case ruqiv1.EventType_EVENT_TYPE_EVALUATED:
		return strings.Contains(d, " overall=")
	}
	return false
}

// RecordReport is what CheckRecords found: how many records it checked
// against their events, and the first few that differ.
type RecordReport struct {
	Checked   uint64
	Differing []RecordDifference
}

// RecordDifference is a stored record that is not what its latest event
// says was decided.
type RecordDifference struct {
	Seq          uint64 // the event
	Type         ruqiv1.EventType
	InspectionID string
}

// finalState is the state an event leaves an inspection in for good.
var finalState = map[ruqiv1.EventType]ruqiv1.InspectionState{
	ruqiv1.EventType_EVENT_TYPE_CANCELLED: ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED,
	ruqiv1.EventType_EVENT_TYPE_COMPLETED: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED,
}

// maxDifferences bounds what one check reports.
const maxDifferences = 20

// recordChunk is how many events CheckRecords collects before it reads
// their records, the chunk's inspections in one read and its evaluations
// in another: on PostgreSQL a query each, where a query per record took
// 1.2 s for the 17,064 records of 5,000 visits and a province has
// millions (docs/BENCHMARKS.md, the records check).
const recordChunk = 512

// CheckRecords compares the stored inspections, results and evaluations
// with the latest event that says what was decided of each: a record
// rewritten at rest (the store's file or tables edited) differs from the
// event the log committed to. Registrations and evaluations are written
// once; a result may be recorded again, and only the latest result event
// must match. Only the events within answers true for are checked and
// counted (nil: every event), so that the count and the differences a
// caller is told are of what it may read: a district's supervisor learnt
// the province's number of registrations, results and evaluations from
// Checked, and saw differences of its region only among the first 20 of
// the province (a review, 2026-12-06).
//
// The events are judged in their order, recordChunk at a time, with the
// records they name read for the chunk: the reader's one snapshot, so the
// same records as one read per event would give.
func CheckRecords(r store.Reader, within func(*ruqiv1.Event) bool) (RecordReport, error) {
	c := recordCheck{r: r, resultDiffers: map[string]RecordDifference{}}
	err := r.Events(0, func(e *ruqiv1.Event) error {
		if within != nil && !within(e) {
			return nil
		}
		if _, final := finalState[e.GetType()]; !final && !decides(e.GetType()) {
			return nil
		}
		c.chunk = append(c.chunk, e)
		if len(c.chunk) < recordChunk {
			return nil
		}
		return c.judge()
	})
	if err == nil {
		err = c.judge()
	}
	if err != nil {
		return c.rep, err
	}
	rep := c.rep
	rep.Differing = c.other
	for _, d := range c.resultDiffers {
		rep.Differing = append(rep.Differing, d)
	}
	slices.SortFunc(rep.Differing, func(a, b RecordDifference) int { return cmp.Compare(a.Seq, b.Seq) })
	if len(rep.Differing) > maxDifferences {
		rep.Differing = rep.Differing[:maxDifferences]
	}
	return rep, nil
}

// decides says whether an event of the type says what was decided: its
// detail carries the record's content since 2026-12-06 (hasContent).
func decides(t ruqiv1.EventType) bool {
	switch t {
	case ruqiv1.EventType_EVENT_TYPE_REGISTERED, ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED, ruqiv1.EventType_EVENT_TYPE_EVALUATED:
		return true
	}
	return false
}

// recordCheck is CheckRecords under way.
type recordCheck struct {
	r     store.Reader
	rep   RecordReport
	chunk []*ruqiv1.Event // collected, not yet judged
	// Results differing so far, by inspection: a later result event that
	// matches clears its entry.
	resultDiffers map[string]RecordDifference
	other         []RecordDifference
}

// judge reads the records the collected events name and judges the events
// in order.
func (c *recordCheck) judge() error {
	if len(c.chunk) == 0 {
		return nil
	}
	var insIDs, evIDs []string
	asked := map[string]bool{}
	for _, e := range c.chunk {
		id := e.GetInspectionId()
		_, final := finalState[e.GetType()]
		switch {
		case !final && !hasContent(e):
		case e.GetType() == ruqiv1.EventType_EVENT_TYPE_EVALUATED:
			if !asked["e"+id] {
				asked["e"+id] = true
				evIDs = append(evIDs, id)
			}
		case !asked["i"+id]:
			asked["i"+id] = true
			insIDs = append(insIDs, id)
		}
	}
	inspections, err := c.r.InspectionsOf(insIDs)
	if err != nil {
		return err
	}
	evaluations, err := c.r.EvaluationsOf(evIDs)
	if err != nil {
		return err
	}
	for _, e := range c.chunk {
		c.judgeEvent(e, inspections[e.GetInspectionId()], evaluations[e.GetInspectionId()])
	}
	clear(c.chunk)
	c.chunk = c.chunk[:0]
	return nil
}

// judgeEvent compares one event with the records it names, nil for none
// held. A missing record reads as an empty one (what Inspection and
// Evaluation return with ErrNotFound, which the check read one by one
// until 2026-12-06): it says no state, and a detail that differs from any
// event that names what was decided.
func (c *recordCheck) judgeEvent(e *ruqiv1.Event, ins *ruqiv1.Inspection, ev *ruqiv1.Evaluation) {
	// A cancellation and a closing are for good: the record must say so
	// still (a trial of replicas, 2026-12-06: one UPDATE brought a
	// cancelled inspection back, and its codes scanned valid).
	if want, ok := finalState[e.GetType()]; ok {
		c.rep.Checked++
		if ins.GetState() != want && len(c.other) < maxDifferences {
			c.other = append(c.other, RecordDifference{Seq: e.GetSeq(), Type: e.GetType(), InspectionID: e.GetInspectionId()})
		}
		return
	}
	if !hasContent(e) {
		// A result recorded again by a server before 2026-12-06 says no
		// content: the latest result cannot be checked, and the one
		// before it is not held against the record (a review).
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED {
			delete(c.resultDiffers, e.GetInspectionId())
		}
		return
	}
	var want string
	switch e.GetType() {
	case ruqiv1.EventType_EVENT_TYPE_REGISTERED:
		want = RegistrationDetail(ins)
	case ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED:
		if res := ins.GetResult(); res != nil {
			want = ResultDetail(res)
		}
	case ruqiv1.EventType_EVENT_TYPE_EVALUATED:
		want = EvaluationDetail(ev)
	}
	c.rep.Checked++
	diff := RecordDifference{Seq: e.GetSeq(), Type: e.GetType(), InspectionID: e.GetInspectionId()}
	switch {
	case e.GetType() == ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED && want == e.GetDetail():
		delete(c.resultDiffers, e.GetInspectionId())
	case e.GetType() == ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED:
		c.resultDiffers[e.GetInspectionId()] = diff
	case want != e.GetDetail() && len(c.other) < maxDifferences:
		c.other = append(c.other, diff)
	}
}
