package inspection

import (
	"crypto/rand"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Journal records what a step did, in the step's transaction: its events,
// the report counters they move and the leads they open, so that no step
// writes an event without its counts or a lead without its event.
type Journal struct {
	tx    store.Tx
	actor string
	now   time.Time
}

// NewJournal records the steps of actor (a principal's String(), or
// "system") at now, in tx.
func NewJournal(tx store.Tx, actor string, now time.Time) *Journal {
	return &Journal{tx: tx, actor: actor, now: now}
}

// Actor names a principal in the event log; "system" when there is none.
func Actor(p auth.Principal) string {
	if p == (auth.Principal{}) {
		return "system"
	}
	return p.String()
}

func journal(tx store.Tx, p auth.Principal, now time.Time) *Journal {
	return NewJournal(tx, Actor(p), now)
}

// Event starts an event of the journal's actor at its time.
func (j *Journal) Event(typ ruqiv1.EventType) *ruqiv1.Event {
	return &ruqiv1.Event{Time: timestamppb.New(j.now), Type: typ, Actor: j.actor}
}

// Count is one report counter a step moves.
type Count struct {
	Metric report.Metric
	// At places the count in its month: the visit's start for what counts
	// visits, the step's time for what counts steps.
	At                   time.Time
	Region, Agency, USCC string
	Delta                int64
}

// Record appends e to the event log and adds its counts.
func (j *Journal) Record(e *ruqiv1.Event, counts ...Count) error {
	if err := j.tx.AppendEvent(e); err != nil {
		return err
	}
	return j.Count(counts...)
}

// Count adds counts that go with an event recorded elsewhere in the step.
func (j *Journal) Count(counts ...Count) error {
	for _, c := range counts {
		if err := report.Add(j.tx, c.Metric, c.At, c.Region, c.Agency, c.USCC, c.Delta); err != nil {
			return err
		}
	}
	return nil
}

// OpenLead writes a new lead (问题线索) for the 司法局, its event and its
// status count. id, if given, makes the lead idempotent: the same id is one
// lead, and opening it again returns the first.
func (j *Journal) OpenLead(id string, l *ruqiv1.Lead) (*ruqiv1.Lead, error) {
	if id == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		id = domain.LeadID(b)
	} else if existing, err := j.tx.Lead(id); err == nil {
		return existing, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	l.Id = id
	l.Status = ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED
	l.CreatedAt = timestamppb.New(j.now)
	if l.GetRegionCode() == "" && l.GetEnterpriseUscc() != "" {
		l.RegionCode = RegionOf(j.tx, l.GetEnterpriseUscc())
	}
	l.Steps = []*ruqiv1.LeadStep{{Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, At: l.GetCreatedAt(), By: j.actor}}
	if err := j.tx.PutLead(l); err != nil {
		return nil, err
	}
	if err := markOwnLead(j.tx, l); err != nil {
		return nil, err
	}
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_LEAD_OPENED)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId = l.GetInspectionId(), l.GetEnterpriseUscc(), l.GetOfficerId()
	e.Detail = l.GetId() + " " + l.GetKind().String()
	if err := j.tx.AppendEvent(e); err != nil {
		return nil, err
	}
	return l, report.MoveLead(j.tx, l.GetRegionCode(), "", l.GetStatus().String())
}

// moveLead records a lead's step (its status, note and reply; the time and
// who took it are the journal's), with its event and counts.
func (j *Journal) moveLead(l *ruqiv1.Lead, step *ruqiv1.LeadStep) error {
	to := step.GetStatus()
	if region := LeadRegion(j.tx, l); region != l.GetRegionCode() {
		// Its enterprise moved since the lead was counted: the lead's
		// count goes with its next step to the region that lists it, so
		// that a report and the list beside it agree (an operator's trial
		// of the reports, 2026-12-05: the new region counted no lead in
		// checking and listed one).
		if err := report.RehomeLead(j.tx, l.GetStatus().String(), l.GetRegionCode(), region); err != nil {
			return err
		}
		l.RegionCode = region
	}
	if err := report.MoveLead(j.tx, l.GetRegionCode(), l.GetStatus().String(), to.String()); err != nil {
		return err
	}
	l.Status = to
	step.At, step.By = timestamppb.New(j.now), j.actor
	l.Steps = append(l.Steps, step)
	if err := j.tx.PutLead(l); err != nil {
		return err
	}
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_LEAD_UPDATED)
	e.InspectionId, e.EnterpriseUscc = l.GetInspectionId(), l.GetEnterpriseUscc()
	e.Detail = l.GetId() + " " + to.String()
	return j.tx.AppendEvent(e)
}

// RegionOf is an enterprise's division code as the directory records it:
// the one every supervisor check uses (the code inside a USCC is where it
// was first registered, not necessarily where it is now).
func RegionOf(r store.Reader, uscc string) string {
	if ent, err := r.Enterprise(uscc); err == nil {
		return ent.GetRegionCode()
	}
	return domain.USCCRegion(uscc)
}
