package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Seed is the coordinator's view of an enterprise, read from the store: its
// plans that are not cancelled and may still count (this year and last), in
// the order they were registered, with the joint inspections the newest
// decisions put them in. The rule applies to what is stored: a joint
// inspection the older, transitive rule made, whose plans share no common
// time, is split here into the visits the rule makes of it
// (coord.RegroupSeed), and the store is corrected to match, so
// that the enterprise, the reports and the coordinator see the same visits.
//
// With fence (coord.Seeder), the enterprise's fence is raised in the
// transaction that reads, so that a registration still being written under
// the state this seed replaces either committed before the read, and is in
// the seed, or fails its check of the fence and is decided again.
func (s *Service) Seed(ctx context.Context, uscc string, fence bool) (coord.Seed, error) {
	var seed coord.Seed
	var holds []bool // per seed plan: the store counts it as holding its visit
	read := func(r store.Reader) error {
		seed, holds = coord.Seed{}, nil
		ent, err := r.Enterprise(uscc)
		if err != nil {
			return err
		}
		list, err := r.InspectionsOfEnterprise(uscc, store.Page{})
		if err != nil {
			return err
		}
		y := s.now().In(domain.Shanghai).Year()
		since := time.Date(y-1, 1, 1, 0, 0, 0, 0, domain.Shanghai)
		sort.SliceStable(list, func(i, j int) bool {
			return list[i].GetRegisteredAt().AsTime().Before(list[j].GetRegisteredAt().AsTime())
		})
		for _, ins := range list {
			joint, v, err := r.JointOf(ins.GetId())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if v > seed.Version {
				seed.Version = v
			}
			if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED || ins.GetWindowEnd().AsTime().Before(since) {
				continue
			}
			// Which plan the store counts as holding the visit
			// (coord.RegroupSeed keeps it with that plan).
			joined, err := report.PlanJoined(r, ins.GetId(), ins.GetJointInspectionId() != "")
			if err != nil {
				return err
			}
			p := planOf(ins, ent)
			p.JointID, p.NewVisit = joint, joint != "" && !joined
			seed.Plans = append(seed.Plans, p)
			holds = append(holds, !joined)
		}
		v, err := r.Count(inspection.VersionKey(uscc))
		if v > seed.Version {
			seed.Version = v
		}
		if err != nil {
			return err
		}
		seed.Fence, err = r.Count(inspection.FenceKey(uscc))
		return err
	}
	var err error
	if fence {
		// Raised before the read, in one transaction.
		err = s.store.Update(ctx, func(tx store.Tx) error {
			if _, err := inspection.RaiseFence(tx, uscc); err != nil {
				return err
			}
			return read(tx)
		})
	} else {
		err = s.store.View(ctx, read)
	}
	if err != nil {
		return seed, err
	}
	regrouped := coord.RegroupSeed(seed.Plans)
	changed := false
	for i := range regrouped {
		// A visit split off, or a hand-over whose decision was lost,
		// leaves the store counting a plan otherwise than the seed does:
		// corrected below with the membership.
		changed = changed || regrouped[i].JointID != seed.Plans[i].JointID || regrouped[i].NewVisit != holds[i]
	}
	if !changed {
		seed.Plans = regrouped
		return seed, nil
	}
	// Read again and regroup inside the writing transaction: another
	// replica's decision may have committed since the View, and a regroup
	// computed from that View would write older membership over it.
	// Another replica seeding at once computes the same: writing it twice
	// is harmless.
	var v int64
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := read(tx); err != nil {
			return err
		}
		regrouped = coord.RegroupSeed(seed.Plans)
		v = seed.Version + 1
		for i, p := range regrouped {
			if p.NewVisit != holds[i] {
				if err := inspection.Recount(tx, uscc, p.InspectionID, p.NewVisit); err != nil {
					return err
				}
			}
		}
		return storeRegrouped(tx, uscc, seed.Plans, regrouped, v)
	})
	if err != nil {
		return seed, err
	}
	seed.Plans, seed.Version = regrouped, v
	return seed, nil
}

// storeRegrouped writes the visits a reseed made of stored plans, as a
// decision of version v: joint membership of the plans that moved, and the
// joint inspections they now make.
func storeRegrouped(tx store.Tx, uscc string, before, after []coord.Plan, v int64) error {
	members := map[string][]coord.Plan{}
	var joints []string
	for i, p := range after {
		if p.JointID != before[i].JointID {
			if err := tx.PutJointOf(p.InspectionID, p.JointID, v); err != nil {
				return err
			}
		}
		if p.JointID != "" {
			if members[p.JointID] == nil {
				joints = append(joints, p.JointID)
			}
			members[p.JointID] = append(members[p.JointID], p)
		}
	}
	for _, j := range joints {
		ms := members[j]
		rec := &ruqiv1.JointInspection{Id: j, EnterpriseUscc: uscc, LeadAgencyId: ms[0].AgencyID, Version: v}
		start, end := ms[0].Start, ms[0].End
		for _, m := range ms {
			rec.InspectionIds = append(rec.InspectionIds, m.InspectionID)
			if m.Start.After(start) {
				start = m.Start
			}
			if m.End.Before(end) {
				end = m.End
			}
		}
		rec.CommonStart, rec.CommonEnd = timestamppb.New(start), timestamppb.New(end)
		if err := tx.PutJointInspection(rec); err != nil {
			return err
		}
	}
	if n, err := tx.Count(inspection.VersionKey(uscc)); err != nil {
		return err
	} else if v > n {
		return tx.AddCount(inspection.VersionKey(uscc), v-n)
	}
	return nil
}

func planOf(ins *ruqiv1.Inspection, ent *ruqiv1.Enterprise) coord.Plan {
	return coord.Plan{
		InspectionID: ins.GetId(),
		AgencyID:     ins.GetAgencyId(),
		USCC:         ins.GetEnterpriseUscc(),
		Start:        ins.GetWindowStart().AsTime(),
		End:          ins.GetWindowEnd().AsTime(),
		// 个案 checks are exempt from caps (有事必到). An emergency
		// registered late is never refused (it happened, and reaches the
		// 司法局 as a lead) but counts as any plan of its type.
		Exempt: ins.GetType() == ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
		Late:   ins.GetLate(),
		Grade:  gradeLetter(ent.GetCreditGrade()),
		// A visit that is not an inspection is never merged and counts only
		// towards all entries (coord.Plan.NotInspection).
		NotInspection: !domain.IsInspection(ins.GetVisitKind()),
		// A closed visit took place: nothing joins it, and its agency may
		// register the enterprise again (coord.Plan.Closed).
		Closed: ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED,
	}
}

func gradeLetter(g ruqiv1.CreditGrade) string {
	switch g {
	case ruqiv1.CreditGrade_CREDIT_GRADE_A:
		return "A"
	case ruqiv1.CreditGrade_CREDIT_GRADE_B:
		return "B"
	case ruqiv1.CreditGrade_CREDIT_GRADE_C:
		return "C"
	case ruqiv1.CreditGrade_CREDIT_GRADE_D:
		return "D"
	}
	return ""
}

// jointOf resolves an inspection's joint inspection, if any.
func jointOf(r store.Reader, ins *ruqiv1.Inspection) (*ruqiv1.JointInspection, error) {
	joint, _, err := r.JointOf(ins.GetId())
	if errors.Is(err, store.ErrNotFound) || (err == nil && joint == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.JointInspection(joint)
}

// regionOf is an enterprise's division code as the directory records it:
// the one every supervisor check uses (the code inside a USCC is where it
// was registered, which may differ).
func regionOf(r store.Reader, uscc string) string {
	if ent, err := r.Enterprise(uscc); err == nil {
		return ent.GetRegionCode()
	}
	return domain.USCCRegion(uscc)
}

// fillJoint sets the inspection's joint id from the newest decision.
func fillJoint(r store.Reader, ins *ruqiv1.Inspection) error {
	joint, _, err := r.JointOf(ins.GetId())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	ins.JointInspectionId = joint
	return err
}

// breachMessage says a cap or warning in an officer's words.
func breachMessage(b coord.Breach, capped bool) string {
	what := domain.RuleLabel(b.Rule)
	if capped && b.Limit == 0 {
		// A cap of none (a grade A enterprise's proactive inspections)
		// read "上限为0次…本次将是第1次" (an officer's trial of the CLI,
		// 2026-12-07).
		return fmt.Sprintf("无事不扰：%s上限为0次（%s），原则上不主动检查，不予报备。确有投诉举报、转办交办或事故，请按个案检查报备（有事必到）", what, b.Period)
	}
	if capped {
		return fmt.Sprintf("无事不扰：%s上限为%d次（%s），本次将是第%d次，不予报备。确有投诉举报、转办交办或事故，请按个案检查报备（有事必到）", what, b.Limit, b.Period, b.Count)
	}
	return fmt.Sprintf("频次预警：%s已达第%d次，超过%d次的预警线（%s）；已报备，并报送司法局", what, b.Count, b.Limit, b.Period)
}

func warningsProto(ws []coord.Breach) []*ruqiv1.FrequencyWarning {
	var out []*ruqiv1.FrequencyWarning
	for _, w := range ws {
		out = append(out, &ruqiv1.FrequencyWarning{Rule: w.Rule, Limit: int32(w.Limit), Count: int32(w.Count), Period: w.Period, Message: breachMessage(w, false)})
	}
	return out
}
