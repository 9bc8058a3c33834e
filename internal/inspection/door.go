package inspection

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// SignEnterpriseCode signs generation gen of an enterprise's code; the
// service gives it the ring's active key.
type SignEnterpriseCode func(uscc string, gen uint64, now time.Time) (*store.EnterpriseCode, error)

// EnterpriseCode returns enterprise uscc's current code, issuing the first
// (generation 1) if it has none yet, with its event.
func EnterpriseCode(tx store.Tx, p auth.Principal, now time.Time, uscc string, sign SignEnterpriseCode) (*store.EnterpriseCode, error) {
	c, err := tx.EnterpriseCode(uscc)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return issueEnterpriseCode(tx, p, now, uscc, 1, "", sign)
}

// ReissueEnterpriseCode replaces enterprise uscc's code with the next
// generation: the old code stops working in the same write.
func ReissueEnterpriseCode(tx store.Tx, p auth.Principal, now time.Time, uscc, reason string, sign SignEnterpriseCode) (*store.EnterpriseCode, error) {
	if err := domain.ValidateText("重新生成原因", reason, 200); err != nil {
		return nil, err
	}
	var gen uint64 = 1
	switch c, err := tx.EnterpriseCode(uscc); {
	case err == nil:
		gen = c.Generation + 1
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	return issueEnterpriseCode(tx, p, now, uscc, gen, reason, sign)
}

func issueEnterpriseCode(tx store.Tx, p auth.Principal, now time.Time, uscc string, gen uint64, reason string, sign SignEnterpriseCode) (*store.EnterpriseCode, error) {
	if _, err := tx.Enterprise(uscc); err != nil {
		return nil, notFound(err, "ENTERPRISE_NOT_FOUND", "企业 %s 不在企业名录中", uscc)
	}
	c, err := sign(uscc, gen, now)
	if err != nil {
		return nil, err
	}
	c.By = Actor(p)
	if err := tx.PutEnterpriseCode(c); err != nil {
		return nil, err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_ENTERPRISE_CODE_ISSUED)
	e.EnterpriseUscc = uscc
	e.Detail = domain.Clip(fmt.Sprintf("generation=%d key=%s %s", gen, c.KeyID, reason), 200)
	return c, j.Record(e)
}

// Arrived is what an officer's arrival recorded.
type Arrived struct {
	Inspection    *ruqiv1.Inspection
	Arrival       *store.Arrival
	First         bool
	Mutual        ruqiv1.MutualVerification
	OutsideWindow bool
}

// Arrive records officer p's arrival for an inspection from the enterprise
// code c the officer scanned there (its signature already verified):
// domain.CheckArrival decides whether it is accepted; the first scan is the
// arrival, later scans count on it. An arrival far outside the window is
// recorded and warned about; one that meets the enterprise's check-in of
// this officer's code within the region's interval is 两码互核.
func Arrive(tx store.Tx, p auth.Principal, now time.Time, inspectionID string, c code.EnterpriseClaims, pols *coord.Policies) (Arrived, error) {
	ins, err := Load(tx, inspectionID)
	if err != nil {
		return Arrived{}, err
	}
	f := domain.ArrivalFacts{OfficerID: p.Subject, Inspection: ins, CodeUSCC: c.EnterpriseUSCC, CodeGeneration: c.Generation, Now: now}
	switch o, err := tx.Officer(p.Subject); {
	case err == nil:
		f.Officer = o
	case !errors.Is(err, store.ErrNotFound):
		return Arrived{}, err
	}
	switch cur, err := tx.EnterpriseCode(c.EnterpriseUSCC); {
	case err == nil:
		f.CurrentGeneration, f.SameToken = cur.Generation, bytes.Equal(cur.TokenID, c.TokenID)
	case !errors.Is(err, store.ErrNotFound):
		return Arrived{}, err
	}
	if err := domain.CheckArrival(f); err != nil {
		return Arrived{}, err
	}
	ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return Arrived{}, err
	}
	pol := pols.For(ent.GetRegionCode())
	out := Arrived{Inspection: ins}
	a, err := tx.Arrival(ins.GetId(), p.Subject)
	switch {
	case err == nil:
		a.Scans++
	case errors.Is(err, store.ErrNotFound):
		a = &store.Arrival{InspectionID: ins.GetId(), OfficerID: p.Subject, USCC: ins.GetEnterpriseUscc(), At: now, Generation: c.Generation, Scans: 1}
		out.First = true
	default:
		return Arrived{}, err
	}
	if err := tx.PutArrival(a); err != nil {
		return Arrived{}, err
	}
	out.Arrival = a
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_ARRIVED)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId = ins.GetId(), ins.GetEnterpriseUscc(), p.Subject
	e.Detail = fmt.Sprintf("generation=%d", c.Generation)
	if !out.First {
		e.Detail = "repeat " + e.Detail
	}
	if err := j.Record(e); err != nil {
		return Arrived{}, err
	}
	out.OutsideWindow = domain.ArrivalOutsideWindow(a.At, ins.GetWindowStart().AsTime(), ins.GetWindowEnd().AsTime(), pol.ArrivalTolerance())
	if out.OutsideWindow {
		if err := warnDoor(j, ins, ent, p.Subject, domain.WarnArrivalOutsideWindow, report.ArrivalsOutsideWindow,
			fmt.Sprintf("arrived=%s window=%s–%s", a.At.UTC().Format(time.RFC3339), ins.GetWindowStart().AsTime().UTC().Format(time.RFC3339), ins.GetWindowEnd().AsTime().UTC().Format(time.RFC3339))); err != nil {
			return Arrived{}, err
		}
	}
	ci, err := officerCheckIn(tx, ins.GetId(), p.Subject)
	if err != nil {
		return Arrived{}, err
	}
	out.Mutual, err = NoteMutual(tx, p, now, ins, p.Subject, ci, a, pol)
	return out, err
}

// RefuseArrival records an enterprise code that was refused at arrival
// (ARRIVAL_REFUSED, with why), in its own transaction after the refused
// step rolled back: a trace of every 虚假扫码 attempt.
func RefuseArrival(tx store.Tx, p auth.Principal, now time.Time, inspectionID, why string) error {
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_ARRIVAL_REFUSED)
	e.InspectionId, e.OfficerId, e.Detail = domain.Clip(inspectionID, 100), p.Subject, domain.Clip(why, 200)
	if ins, err := tx.Inspection(inspectionID); err == nil && MayManage(tx, p, ins) == nil {
		e.EnterpriseUscc = ins.GetEnterpriseUscc()
	}
	return j.Record(e)
}

// AtDoor is each officer of an inspection at the door: check-in, arrival
// and 两码互核, as stored now.
func AtDoor(r store.Reader, ins *ruqiv1.Inspection, pol coord.Policy) ([]*ruqiv1.OfficerAtDoor, error) {
	var out []*ruqiv1.OfficerAtDoor
	for _, o := range ins.GetOfficerIds() {
		ci, err := officerCheckIn(r, ins.GetId(), o)
		if err != nil {
			return nil, err
		}
		a, err := r.Arrival(ins.GetId(), o)
		if errors.Is(err, store.ErrNotFound) {
			a, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		d := &ruqiv1.OfficerAtDoor{OfficerId: o, Mutual: mutual(ci, a, pol)}
		if ci != nil {
			d.CheckedInAt = timestamppb.New(ci.At)
		}
		if a != nil {
			d.ArrivedAt = timestamppb.New(a.At)
		}
		out = append(out, d)
	}
	return out, nil
}

func mutual(ci *store.CheckIn, a *store.Arrival, pol coord.Policy) ruqiv1.MutualVerification {
	var checkedIn, arrived time.Time
	if ci != nil {
		checkedIn = ci.At
	}
	if a != nil {
		arrived = a.At
	}
	return domain.Mutual(checkedIn, arrived, pol.MutualInterval())
}

// NoteMutual is called when either half of 两码互核 happens (the officer's
// arrival, the enterprise's check-in): if the two now meet within the
// interval, the inspection counts as mutually verified, once, with its
// event.
func NoteMutual(tx store.Tx, p auth.Principal, now time.Time, ins *ruqiv1.Inspection, officerID string, ci *store.CheckIn, a *store.Arrival, pol coord.Policy) (ruqiv1.MutualVerification, error) {
	m := mutual(ci, a, pol)
	if m != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED {
		return m, nil
	}
	first, err := report.Once(tx, "mutual|"+ins.GetId())
	if err != nil || !first {
		return m, err
	}
	ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return m, err
	}
	region, err := PlanRegion(tx, ins, ent)
	if err != nil {
		return m, err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_MUTUALLY_VERIFIED)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId = ins.GetId(), ins.GetEnterpriseUscc(), officerID
	e.Detail = fmt.Sprintf("check-in=%s arrival=%s", ci.At.UTC().Format(time.RFC3339), a.At.UTC().Format(time.RFC3339))
	// A visit that is not an inspection is verified and its event kept, but
	// 两码互核率, like 亮码率 (Scan), is of inspections: counted, it stood over
	// a denominator that leaves such visits out (a trial of the report
	// against the log, 2026-12-06).
	if !domain.IsInspection(ins.GetVisitKind()) {
		return m, j.Record(e)
	}
	return m, j.Record(e, Count{report.Mutual, ins.GetWindowStart().AsTime(), region, ins.GetAgencyId(), ins.GetEnterpriseUscc(), 1})
}

// officerCheckIn is the check-in of an officer's code for an inspection, nil
// if the enterprise has not scanned it.
func officerCheckIn(r store.Reader, inspectionID, officerID string) (*store.CheckIn, error) {
	codes, err := r.Codes(inspectionID)
	if err != nil {
		return nil, err
	}
	for _, c := range codes {
		if c.GetOfficerId() != officerID {
			continue
		}
		msg, err := code.DecodeToken(c.GetToken())
		if err != nil {
			return nil, err
		}
		_, claims, err := code.Parse(msg)
		if err != nil {
			return nil, err
		}
		ci, err := r.CheckIn(claims.TokenID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return ci, err
	}
	return nil, nil
}

// warnDoor raises a door warning (不扫码 / 虚假扫码) for the 司法局, once per
// inspection and kind: its event and its count.
func warnDoor(j *Journal, ins *ruqiv1.Inspection, ent *ruqiv1.Enterprise, officerID, kind string, m report.Metric, detail string) error {
	first, err := report.Once(j.tx, "warn|"+kind+"|"+ins.GetId())
	if err != nil || !first {
		return err
	}
	region, err := PlanRegion(j.tx, ins, ent)
	if err != nil {
		return err
	}
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId = ins.GetId(), ins.GetEnterpriseUscc(), officerID
	e.Detail = domain.Clip(kind+" "+detail, 200)
	return j.Record(e, Count{m, ins.GetWindowStart().AsTime(), region, ins.GetAgencyId(), ins.GetEnterpriseUscc(), 1})
}

// WarnAtCheckIn raises the warning a first check-in reveals: the same
// officer checked in at another enterprise at an overlapping time
// (domain.VisitsOverlap over the region's visit span).
func WarnAtCheckIn(tx store.Tx, p auth.Principal, now time.Time, ins *ruqiv1.Inspection, ci *store.CheckIn, pols *coord.Policies) error {
	ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return err
	}
	span := pols.For(ent.GetRegionCode()).VisitSpan()
	// The first overlapping check-in is enough: the warning names one.
	var other *store.CheckIn
	err = tx.CheckInsOfOfficer(ci.OfficerID, ci.At.Add(-span), ci.At.Add(span), func(o *store.CheckIn) error {
		if o.USCC != ci.USCC && domain.VisitsOverlap(o.At, ci.At, span) {
			other = o
			return store.ErrStop
		}
		return nil
	})
	if err != nil || other == nil {
		return err
	}
	// The other enterprise is not named: this warning is this enterprise's
	// event, and a supervisor of its region may read it who may not read
	// the other's (another region). The officer and the time lead an
	// administrator, or the supervisor of both, to the other check-in.
	return warnDoor(journal(tx, p, now), ins, ent, ci.OfficerID, domain.WarnOverlappingCheckIns, report.OverlappingCheckIns,
		fmt.Sprintf("also checked in at another enterprise at %s", other.At.UTC().Format(time.RFC3339)))
}

// WarnAtResult raises the warnings a result reveals: results without any
// check-in (不扫码), and, where the region requires 两码互核, officers
// checked in whose arrival was never recorded.
func WarnAtResult(tx store.Tx, p auth.Principal, now time.Time, ins *ruqiv1.Inspection, pols *coord.Policies) error {
	ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return err
	}
	j := journal(tx, p, now)
	if ins.GetFirstCheckedInAt() == nil {
		return warnDoor(j, ins, ent, "", domain.WarnResultWithoutCheckIn, report.ResultsWithoutCheckIn, "no code of this inspection was scanned")
	}
	if !pols.For(ent.GetRegionCode()).RequireMutual {
		return nil
	}
	for _, o := range ins.GetOfficerIds() {
		ci, err := officerCheckIn(tx, ins.GetId(), o)
		if err != nil || ci == nil {
			if err != nil {
				return err
			}
			continue
		}
		switch _, err := tx.Arrival(ins.GetId(), o); {
		case errors.Is(err, store.ErrNotFound):
			return warnDoor(j, ins, ent, o, domain.WarnCheckInWithoutArrival, report.CheckInsWithoutArrival, "officer "+o+" checked in without arrival")
		case err != nil:
			return err
		}
	}
	return nil
}
