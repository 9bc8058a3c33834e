package service_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// proposalPause holds, once armed, the first View that lists proposals
// after it returns, until released: a matching run stopped between the read
// that decides its proposals and the write that stores them.
type proposalPause struct {
	store.Store
	mu      sync.Mutex
	armed   bool
	paused  chan struct{}
	release chan struct{}
}

func (s *proposalPause) Unwrap() store.Store { return s.Store }

type proposalsSeen struct {
	store.Reader
	seen *bool
}

func (r proposalsSeen) Proposals(p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	*r.seen = true
	return r.Reader.Proposals(p)
}

func (s *proposalPause) View(ctx context.Context, fn func(store.Reader) error) error {
	seen := false
	err := s.Store.View(ctx, func(r store.Reader) error { return fn(proposalsSeen{r, &seen}) })
	s.mu.Lock()
	hold := s.armed && seen
	if hold {
		s.armed = false
	}
	s.mu.Unlock()
	if hold {
		close(s.paused)
		<-s.release
	}
	return err
}

// Two matching runs at once, one of which read the plans before a third
// agency filed its coverage and the other after: the first decided to
// propose AG-01 and AG-02's visit, the second AG-01, AG-02 and AG-03's,
// each having found no open proposal. Each stored its proposal, so AG-01
// and AG-02 had two open proposals for the same enterprise on the same
// days: what matching's rule (an agency an open proposal already takes to
// the enterprise is not proposed again, matching.Input.Proposed) is there
// to prevent, checked in the run's read and not again where it writes. Now
// the write checks it and the run decides again.
func TestRunMatching_ConcurrentRuns_OneOpenProposalPerAgency(t *testing.T) {
	bst, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &proposalPause{Store: bst, paused: make(chan struct{}), release: make(chan struct{})}
	e := newEnvOn(t, st, "")
	ags := []*registrar{e.registrar(t, "AG-01"), e.registrar(t, "AG-02"), e.registrar(t, "AG-03")}
	var uscc string
	for _, ent := range e.dir.GetEnterprises()[1:] {
		if ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			uscc = ent.GetUscc()
			break
		}
	}
	now := time.Now()
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	from, to := now.Add(24*time.Hour), now.Add(10*24*time.Hour)
	cover := func(a *registrar) {
		t.Helper()
		if _, err := mcli.SubmitPlanCoverage(e.as(a.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "R-" + a.agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
			CheckItemIds: a.items[:1], EnterpriseUsccs: []string{uscc}}}); err != nil {
			t.Fatal(err)
		}
	}
	run := func() (*ruqiv1.RunMatchingResponse, error) {
		return mcli.RunMatching(e.as(e.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(now), PeriodEnd: timestamppb.New(now.Add(30 * 24 * time.Hour))})
	}
	cover(ags[0])
	cover(ags[1])

	st.mu.Lock()
	st.armed = true
	st.mu.Unlock()
	type answer struct {
		resp *ruqiv1.RunMatchingResponse
		err  error
	}
	first := make(chan answer, 1)
	go func() {
		resp, err := run()
		first <- answer{resp, err}
	}()
	<-st.paused // the first run has read AG-01 and AG-02 and no proposal

	cover(ags[2])
	second, err := run()
	if err != nil || len(second.GetProposals()) != 1 || len(second.GetProposals()[0].GetMembers()) != 3 {
		t.Fatalf("second run: %v, %v; want one proposal of the three agencies", second, err)
	}
	close(st.release)
	a := <-first
	if a.err != nil {
		t.Fatalf("first run: %v", a.err)
	}
	if n := len(a.resp.GetProposals()); n != 0 {
		t.Errorf("first run proposed %d, after the second's proposal took its agencies; want none", n)
	}

	list, err := mcli.ListProposals(e.as(e.admin), &ruqiv1.ListProposalsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	open := map[string][]string{}
	for _, pr := range list.GetProposals() {
		if pr.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
			continue
		}
		for _, m := range pr.GetMembers() {
			open[m.GetAgencyId()] = append(open[m.GetAgencyId()], pr.GetId())
		}
	}
	for agency, ids := range open {
		if len(ids) > 1 {
			t.Errorf("%s is in %d open proposals for %s on the same days: %v", agency, len(ids), uscc, ids)
		}
	}
}
