package service_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// failingWrites fails every Update while armed: a store out of reach for
// the settling's writes.
type failingWrites struct {
	store.Store
	armed atomic.Bool
}

func (s *failingWrites) Unwrap() store.Store { return s.Store }

func (s *failingWrites) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.armed.Load() {
		return errors.New("test: the store is out of reach")
	}
	return s.Store.Update(ctx, fn)
}

// A proposal answered without the mark (before the marks were kept, or by
// a replica of an older version) is found only by the first, full pass
// after a start. When settling it failed in that pass (the store out of
// reach for a moment), later passes read the marks only, and the proposal
// stayed open and unregistered until the server restarted (review2 of
// 943ff92).
func TestSettleAnsweredProposals_UnmarkedFailedInTheFullPass_SettledLater(t *testing.T) {
	bst, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &failingWrites{Store: bst}
	ctx := context.Background()
	e := newEnvOn(t, st, "")
	now := time.Now()
	ags := []*registrar{e.registrar(t, "AG-01"), e.registrar(t, "AG-02")}
	var ent *ruqiv1.Enterprise
	for _, x := range e.dir.GetEnterprises() {
		if x.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			ent = x
			break
		}
	}
	start := now.Add(24 * time.Hour).Truncate(time.Minute)
	pr := &ruqiv1.JointVisitProposal{Id: "JVP-UNMARKED-1", EnterpriseUscc: ent.GetUscc(), RegionCode: ent.GetRegionCode(), LeadAgencyId: ags[0].agency,
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		State: ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, CreatedAt: timestamppb.New(now)}
	for _, p := range ags {
		pr.Members = append(pr.Members, &ruqiv1.ProposalMember{AgencyId: p.agency, PlanId: "M-12",
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, CheckItemIds: p.items[:1]})
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutProposal(pr) }); err != nil {
		t.Fatal(err)
	}
	for _, p := range ags {
		officer := auth.Principal{Role: ruqiv1.Role_ROLE_OFFICER, Subject: p.officers[0]}
		err := st.Update(ctx, func(tx store.Tx) error {
			_, err := inspection.AnswerProposal(tx, officer, now, inspection.Answer{ProposalID: pr.GetId(), Accept: true, OfficerIDs: p.officers[:2]})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Answered as an older version answers: no mark.
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.AddCount(inspection.SettlePendingPrefix+pr.GetId(), -1) }); err != nil {
		t.Fatal(err)
	}

	st.armed.Store(true)
	if n, err := e.svc.SettleAnsweredProposals(ctx); err == nil || n != 0 {
		t.Fatalf("first pass with the store out of reach: %d settled, %v; want none and the error", n, err)
	}
	st.armed.Store(false)
	if n, err := e.svc.SettleAnsweredProposals(ctx); err != nil || n != 1 {
		t.Fatalf("next pass: %d settled, %v; want the proposal the first pass failed to settle", n, err)
	}
	var got *ruqiv1.JointVisitProposal
	if err := st.View(ctx, func(r store.Reader) error { got, err = r.Proposal(pr.GetId()); return err }); err != nil {
		t.Fatal(err)
	}
	if got.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED {
		t.Fatalf("proposal %s: %v, want registered", got.GetId(), got.GetState())
	}
}
