package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 拼团 proposal whose answers are all in, left open as a server leaves it
// that stopped between taking the last answer and registering the visit,
// is settled by SettleAnsweredProposals: one joint inspection of the
// accepting agencies, as the officers who accepted, and settling again
// changes nothing. A proposal still waiting for an answer is left alone.
//
// Only its first pass after a start reads every proposal; later ones read
// those marked answered (inspection.SettlePendingPrefix): it read every
// proposal ever made each hour (a review of what grows with history).
func testSettleAnsweredProposals(t *testing.T, raw store.Store) {
	ctx := context.Background()
	st := &proposalLists{Store: raw}
	e := newEnvOn(t, st, "")
	now := time.Now()
	// The first pass after the start, before any answer: it reads them all.
	if n, err := e.svc.SettleAnsweredProposals(ctx); err != nil || n != 0 || st.lists.Load() == 0 {
		t.Fatalf("first pass: %d settled, %v, %d lists of proposals; want none settled, the proposals read", n, err, st.lists.Load())
	}
	st.lists.Store(0)
	// Two agencies' officers with valid certificates and current items.
	ags := []*registrar{e.registrar(t, "AG-01"), e.registrar(t, "AG-02")}
	var ents []*ruqiv1.Enterprise
	for _, ent := range e.dir.GetEnterprises() {
		if ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			ents = append(ents, ent)
		}
	}
	if len(ents) < 2 {
		t.Fatalf("the sample directory has %d enterprises not of grade A, want two", len(ents))
	}
	start := now.Add(24 * time.Hour).Truncate(time.Minute)
	proposal := func(id string, ent *ruqiv1.Enterprise) *ruqiv1.JointVisitProposal {
		pr := &ruqiv1.JointVisitProposal{Id: id, EnterpriseUscc: ent.GetUscc(), RegionCode: ent.GetRegionCode(), LeadAgencyId: ags[0].agency,
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
			State: ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, CreatedAt: timestamppb.New(now)}
		for _, p := range ags {
			pr.Members = append(pr.Members, &ruqiv1.ProposalMember{AgencyId: p.agency, PlanId: "M-12",
				Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, CheckItemIds: p.items[:1]})
		}
		return pr
	}
	stuck, waiting := proposal("JVP-SETTLE-1", ents[0]), proposal("JVP-SETTLE-2", ents[1])
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutProposal(stuck) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutProposal(waiting) }); err != nil {
		t.Fatal(err)
	}
	// The answers, through the rule that takes them; the registration that
	// would follow the last one never runs.
	answer := func(id string, p *registrar) {
		t.Helper()
		officer := auth.Principal{Role: ruqiv1.Role_ROLE_OFFICER, Subject: p.officers[0]}
		err := st.Update(ctx, func(tx store.Tx) error {
			_, err := inspection.AnswerProposal(tx, officer, now, inspection.Answer{ProposalID: id, Accept: true, OfficerIDs: p.officers[:2]})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	answer(stuck.GetId(), ags[0])
	answer(stuck.GetId(), ags[1])
	answer(waiting.GetId(), ags[0])

	read := func(id string) *ruqiv1.JointVisitProposal {
		t.Helper()
		var pr *ruqiv1.JointVisitProposal
		if err := st.View(ctx, func(r store.Reader) error {
			var err error
			pr, err = r.Proposal(id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return pr
	}
	if got := read(stuck.GetId()).GetState(); got != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
		t.Fatalf("before settling: %v, want open", got)
	}
	n, err := e.svc.SettleAnsweredProposals(ctx)
	if err != nil || n != 1 {
		t.Fatalf("settled %d, %v; want the one proposal with every answer in", n, err)
	}
	if l := st.lists.Load(); l != 0 {
		t.Fatalf("a pass after the first listed the proposals %d times; want the answered ones read by their marks", l)
	}
	pr := read(stuck.GetId())
	if pr.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED || pr.GetJointInspectionId() == "" {
		t.Fatalf("settled proposal %v: want registered as one joint inspection", pr)
	}
	inspections := map[string]bool{}
	err = st.View(ctx, func(r store.Reader) error {
		for i, m := range pr.GetMembers() {
			ins, err := r.Inspection(m.GetInspectionId())
			if err != nil {
				return err
			}
			if ins.GetAgencyId() != ags[i].agency || ins.GetRegisteredBy() != "officer:"+ags[i].officers[0] || !ins.GetWindowStart().AsTime().Equal(start) {
				t.Errorf("member %s's inspection %v: want its agency's, registered by the officer who accepted, in the proposed window", m.GetAgencyId(), ins)
			}
			inspections[ins.GetId()] = true
		}
		return nil
	})
	if err != nil || len(inspections) != 2 {
		t.Fatalf("inspections %v, %v; want two", inspections, err)
	}
	if got := read(waiting.GetId()); got.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN || got.GetMembers()[0].GetInspectionId() != "" {
		t.Fatalf("a proposal still waiting for an answer was touched: %v", got)
	}
	// Again: nothing left to settle, and nothing registered twice.
	if n, err := e.svc.SettleAnsweredProposals(ctx); err != nil || n != 0 {
		t.Fatalf("second settling: %d, %v; want none", n, err)
	}
	// The settled proposal's mark went with its closing: marks do not
	// pile up for the hourly pass to read.
	err = st.View(ctx, func(r store.Reader) error {
		return r.Counts(inspection.SettlePendingPrefix, func(k string, n int64) error {
			t.Errorf("mark %s = %d left after settling", k, n)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(ctx, func(r store.Reader) error {
		list, err := r.InspectionsOfEnterprise(stuck.GetEnterpriseUscc(), store.Page{})
		if err == nil && len(list) != 2 {
			t.Errorf("the enterprise has %d inspections after settling twice, want 2", len(list))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSettleAnsweredProposals_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testSettleAnsweredProposals(t, st)
}

func TestSettleAnsweredProposals_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testSettleAnsweredProposals(t, st)
}

// A registration retried after its window began (its answer was lost, or
// the server that took a proposal's last answer stopped midway and settles
// it later) gets the inspection it registered, not a refusal for a window
// in the past: the window is judged for new registrations only. The same
// request id for a new registration in the past is still refused.
func TestRegistrationRetry_AfterTheWindowBegan(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	e := newEnvOn(t, st, "", func(c *service.Config) { c.Now = func() time.Time { return *clock.Load() } })
	r := e.registrar(t, "AG-01")
	start := t0.Add(time.Hour).Truncate(time.Minute)
	req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: e.dir.GetEnterprises()[1].GetUscc(), CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-1", Reason: "重试", RequestId: "retry-after-start"}
	insp := ruqiv1.NewInspectionServiceClient(e.cc)
	first, err := insp.RegisterInspection(e.as(r.tok), req)
	if err != nil {
		t.Fatal(err)
	}
	later := start.Add(30 * time.Minute)
	clock.Store(&later)
	again, err := insp.RegisterInspection(e.as(r.tok), req)
	if err != nil || again.GetInspection().GetId() != first.GetInspection().GetId() {
		t.Fatalf("retry after the window began: %v, %v; want inspection %s", again.GetInspection().GetId(), err, first.GetInspection().GetId())
	}
	fresh := proto.CloneOf(req)
	fresh.RequestId = "new-after-start"
	if _, err := insp.RegisterInspection(e.as(r.tok), fresh); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a new registration of a window already begun: %v, want InvalidArgument", err)
	}
}

// proposalLists counts the listings of every proposal (Reader.Proposals).
type proposalLists struct {
	store.Store
	lists atomic.Int64
}

func (s *proposalLists) Unwrap() store.Store { return s.Store }

type listsCounted struct {
	store.Reader
	n *atomic.Int64
}

func (r listsCounted) Proposals(p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	r.n.Add(1)
	return r.Reader.Proposals(p)
}

func (r listsCounted) ProposalsOfAgency(agency string, p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	r.n.Add(1)
	return r.Reader.ProposalsOfAgency(agency, p)
}

func (s *proposalLists) View(ctx context.Context, fn func(store.Reader) error) error {
	return s.Store.View(ctx, func(r store.Reader) error { return fn(listsCounted{r, &s.lists}) })
}

// The first settling after a start marks the open proposals an older
// version stored without their open marks, and says the marks complete:
// from then on a matching run reads the marked proposals, not every one
// ever made (inspection.OpenProposals). A proposal failed, or whose time
// has begun, gets no mark.
func testSettle_MarksOpenProposals(t *testing.T, raw store.Store) {
	ctx := context.Background()
	st := &proposalLists{Store: raw}
	e := newEnvOn(t, st, "")
	now := time.Now()
	uscc := e.dir.GetEnterprises()[0].GetUscc()
	start := now.Add(72 * time.Hour).Truncate(time.Minute)
	legacy := func(id string, state ruqiv1.ProposalState, at time.Time) *ruqiv1.JointVisitProposal {
		return &ruqiv1.JointVisitProposal{Id: id, EnterpriseUscc: uscc, LeadAgencyId: "AG-01",
			WindowStart: timestamppb.New(at), WindowEnd: timestamppb.New(at.Add(2 * time.Hour)), State: state,
			Members: []*ruqiv1.ProposalMember{{AgencyId: "AG-01"}, {AgencyId: "AG-02"}}}
	}
	err := st.Update(ctx, func(tx store.Tx) error {
		for _, pr := range []*ruqiv1.JointVisitProposal{
			legacy("JVP-OPEN", ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, start),
			legacy("JVP-BEGUN", ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, now.Add(-time.Hour)),
			legacy("JVP-FAILED", ruqiv1.ProposalState_PROPOSAL_STATE_FAILED, start),
		} {
			if err := tx.PutProposal(pr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SettleAnsweredProposals(ctx); err != nil {
		t.Fatal(err)
	}
	var marks []string
	var complete int64
	err = st.View(ctx, func(r store.Reader) error {
		var err error
		if complete, err = r.Count(inspection.OpenMarksCompleteKey); err != nil {
			return err
		}
		return r.Counts(inspection.OpenMarkPrefix, func(k string, n int64) error { marks = append(marks, fmt.Sprint(k, "=", n)); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := inspection.OpenMarkPrefix + start.UTC().Format("200601021504") + "|JVP-OPEN=1"; complete != 1 || len(marks) != 1 || marks[0] != want {
		t.Fatalf("after the first settling: marks %v, complete %d; want [%s], complete 1", marks, complete, want)
	}
	st.lists.Store(0)
	var taken bool
	err = st.View(ctx, func(r store.Reader) error {
		isTaken, _, err := inspection.OpenProposals(r, now)
		taken = err == nil && isTaken(uscc, "AG-02", start, start.Add(time.Hour))
		return err
	})
	if err != nil || !taken || st.lists.Load() != 0 {
		t.Fatalf("a matching run's read: AG-02 taken %v, %d lists of every proposal, %v; want taken by the legacy open proposal, none listed", taken, st.lists.Load(), err)
	}
	// An older version, rolled back to for a while, stored an open
	// proposal without its mark: the next start's first settling marks it,
	// the marks complete already.
	late := legacy("JVP-LATE", ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, start.Add(24*time.Hour))
	late.EnterpriseUscc = e.dir.GetEnterprises()[1].GetUscc()
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.PutProposal(late) }); err != nil {
		t.Fatal(err)
	}
	e.svc.Restarted()
	if _, err := e.svc.SettleAnsweredProposals(ctx); err != nil {
		t.Fatal(err)
	}
	err = st.View(ctx, func(r store.Reader) error {
		isTaken, _, err := inspection.OpenProposals(r, now)
		taken = err == nil && isTaken(late.GetEnterpriseUscc(), "AG-01", start.Add(24*time.Hour), start.Add(25*time.Hour))
		return err
	})
	if err != nil || !taken {
		t.Fatalf("a proposal an older version stored after the marks were complete: taken %v, %v; want marked by the next start's settling", taken, err)
	}
}

func TestSettle_MarksOpenProposals_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testSettle_MarksOpenProposals(t, st)
}

func TestSettle_MarksOpenProposals_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testSettle_MarksOpenProposals(t, st)
}
