package service_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// officerPause holds, once armed, the first View that reads officer id,
// after it returns, until released.
type officerPause struct {
	store.Store
	mu      sync.Mutex
	id      string
	paused  chan struct{}
	release chan struct{}
}

func (s *officerPause) Unwrap() store.Store { return s.Store }

type officerSeen struct {
	store.Reader
	id   string
	seen *bool
}

func (r officerSeen) Officer(id string) (*ruqiv1.Officer, error) {
	if id == r.id {
		*r.seen = true
	}
	return r.Reader.Officer(id)
}

func (s *officerPause) View(ctx context.Context, fn func(store.Reader) error) error {
	s.mu.Lock()
	id := s.id
	s.mu.Unlock()
	if id == "" {
		return s.Store.View(ctx, fn)
	}
	seen := false
	err := s.Store.View(ctx, func(r store.Reader) error { return fn(officerSeen{r, id, &seen}) })
	s.mu.Lock()
	hold := seen && s.id != ""
	if hold {
		s.id = ""
	}
	s.mu.Unlock()
	if hold {
		close(s.paused)
		<-s.release
	}
	return err
}

// The officer who accepted AG-01's part of a proposal is struck off (注销)
// while the last answer settles it: after settling checked that the
// acceptance stands (inspection.AcceptanceStands) and before AG-01's part
// was written. The part was registered as that officer all the same, which
// testProposal_AcceptedByOfficerSinceRevoked refuses when the revocation
// comes first: the check was made in a read of its own, and the
// registration's write, made as the officer, did not ask again. Now the
// write checks it too, and the part is refused as the earlier revocation's.
func TestProposal_OfficerStruckOffWhileSettling(t *testing.T) {
	bst, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &officerPause{Store: bst, paused: make(chan struct{}), release: make(chan struct{})}
	e := newEnvOn(t, st, "")
	pr, ags := threeAgencyProposal(t, e)
	a1 := ags[0]
	lapsed := a1.officers[0] // a1.tok is this officer's
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	if _, err := mcli.RespondToProposal(e.as(a1.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: a1.officers[1:3]}); err != nil {
		t.Fatal(err)
	}
	if _, err := mcli.RespondToProposal(e.as(ags[1].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: ags[1].officers[:2]}); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.id = lapsed // the settling's check of AG-01's acceptance
	st.mu.Unlock()
	type answer struct {
		resp *ruqiv1.RespondToProposalResponse
		err  error
	}
	last := make(chan answer, 1)
	go func() {
		resp, err := mcli.RespondToProposal(e.as(ags[2].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: ags[2].officers[:2]})
		last <- answer{resp, err}
	}()
	<-st.paused
	if _, err := ruqiv1.NewDirectoryServiceClient(e.cc).SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{
		OfficerId: lapsed, Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, Reason: "清理注销"}); err != nil {
		t.Fatal(err)
	}
	close(st.release)
	a := <-last
	if a.err != nil {
		t.Fatal(a.err)
	}
	err = bst.View(context.Background(), func(r store.Reader) error {
		list, err := r.InspectionsOfEnterprise(pr.GetEnterpriseUscc(), store.Page{})
		for _, ins := range list {
			if ins.GetAgencyId() == "AG-01" || ins.GetRegisteredBy() == "officer:"+lapsed {
				t.Errorf("inspection %s of %s registered by %s, whose certificate was revoked before the part was written", ins.GetId(), ins.GetAgencyId(), ins.GetRegisteredBy())
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	own, err := mcli.ListProposals(e.as(e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(own.GetProposals()) != 1 {
		t.Fatalf("AG-01's proposals: %v, %v", own, err)
	}
	if m := memberOf(own.GetProposals()[0], "AG-01"); m.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED || m.GetInspectionId() != "" {
		t.Errorf("AG-01's part: %v, inspection %q, note %q; want 报备未通过 and no inspection", m.GetAnswer(), m.GetInspectionId(), m.GetNote())
	}
}
