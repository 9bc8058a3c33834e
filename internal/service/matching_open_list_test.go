package service_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Listing the province's open proposals (待响应) paged through every
// proposal ever made to find the few still open. Once the open marks are
// complete (inspection.OpenMarksCompleteKey) the list reads the marked
// ones, page by page in id order as before, and lists what the whole read
// listed; an agency's list is its own proposals', as before.
func TestListProposals_Open_ReadsTheMarkedOnes(t *testing.T) {
	ctx := context.Background()
	raw, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &proposalLists{Store: raw}
	e := newEnvOn(t, st, "")
	// The first settling after the start: on an empty store it finds
	// nothing to mark, and says the marks complete.
	if _, err := e.svc.SettleAnsweredProposals(ctx); err != nil {
		t.Fatal(err)
	}
	pr, ags := threeAgencyProposal(t, e)
	// A second open proposal, of AG-01 and another agency, and a failed
	// one of all three.
	now := time.Now()
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	start := now.Add(48 * time.Hour)
	var other *ruqiv1.JointVisitProposal
	err = st.Update(ctx, func(tx store.Tx) error {
		out, err := inspection.Propose(tx, admin, now, -1, []matching.Proposal{{USCC: e.dir.GetEnterprises()[0].GetUscc(), Lead: "AG-01",
			Members: []matching.Member{
				{PlanID: "X-1", AgencyID: "AG-01", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: start.Add(24 * time.Hour)},
				{PlanID: "X-2", AgencyID: "AG-04", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: start.Add(24 * time.Hour)}},
			WindowStart: start, WindowEnd: start.Add(8 * time.Hour)}}, nil)
		if err != nil {
			return err
		}
		other = out[0]
		return tx.PutProposal(&ruqiv1.JointVisitProposal{Id: "MAT-FAILED", EnterpriseUscc: pr.GetEnterpriseUscc(), State: ruqiv1.ProposalState_PROPOSAL_STATE_FAILED,
			Members: pr.GetMembers()})
	})
	if err != nil {
		t.Fatal(err)
	}
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	list := func(tok string, size int32) []string {
		t.Helper()
		var ids []string
		token := ""
		for range 10 {
			resp, err := mcli.ListProposals(e.as(tok), &ruqiv1.ListProposalsRequest{State: ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, PageSize: size, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range resp.GetProposals() {
				ids = append(ids, got.GetId())
			}
			if token = resp.GetNextPageToken(); token == "" {
				return ids
			}
		}
		t.Fatalf("listing the open proposals: 10 pages and more (%v)", ids)
		return nil
	}
	want := []string{pr.GetId(), other.GetId()}
	slices.Sort(want)
	// The administrator's lists of the province's open proposals read
	// their marks; an agency's read the agency's proposals, as before.
	for _, c := range []struct {
		who   string
		tok   string
		size  int32
		want  []string
		lists bool
	}{
		{"the administrator, a page of one", e.admin, 1, want, false},
		{"the administrator", e.admin, 0, want, false},
		{"AG-01", ags[0].tok, 0, want, true},
		{"AG-02", ags[1].tok, 0, []string{pr.GetId()}, true},
	} {
		st.lists.Store(0)
		if got := list(c.tok, c.size); !slices.Equal(got, c.want) {
			t.Errorf("%s: open proposals %v, want %v", c.who, got, c.want)
		}
		if n := st.lists.Load(); (n > 0) != c.lists {
			t.Errorf("%s: paged through the proposals %d times; want %v", c.who, n, c.lists)
		}
	}
}
