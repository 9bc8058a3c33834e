package inspection_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// agencyReads counts Propose's reads of member agencies' proposals.
type agencyReads struct {
	store.Tx
	n *int
}

func (t agencyReads) ProposalsOfAgency(agency string, p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	*t.n++
	return t.Tx.ProposalsOfAgency(agency, p)
}

// Propose, in the writer, read every member agency's whole proposal
// history on each run to find one stored since the run's read: a
// province's month makes about 530,000 (a review, 2026-12-07). While no
// proposal was stored since the read (inspection.ProposalsMadeKey), it
// reads none; after one was, it reads them and refuses a proposal that
// takes an agency already taken on those days.
func TestPropose_NothingStoredSinceTheRead_AgenciesNotReadAgain(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(t, now)
	ctx := context.Background()
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	start, end := now.AddDate(0, 0, 7), now.AddDate(0, 1, 0)
	proposal := func(plan1, plan2 string) matching.Proposal {
		return matching.Proposal{USCC: uscc, Lead: "AG-1",
			Members: []matching.Member{
				{PlanID: plan1, AgencyID: "AG-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: end},
				{PlanID: plan2, AgencyID: "AG-2", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: end}},
			WindowStart: start.Add(time.Hour), WindowEnd: start.Add(9 * time.Hour)}
	}
	var made int64
	if err := st.View(ctx, func(r store.Reader) (err error) { _, made, err = inspection.OpenProposals(r, now); return err }); err != nil {
		t.Fatal(err)
	}
	propose := func(p matching.Proposal) (int, int, error) {
		reads, stored := 0, 0
		err := st.Update(ctx, func(tx store.Tx) error {
			out, err := inspection.Propose(agencyReads{tx, &reads}, admin, now, made, []matching.Proposal{p}, func(string, string) string { return "" })
			stored = len(out)
			return err
		})
		return reads, stored, err
	}
	if reads, stored, err := propose(proposal("P-1", "P-2")); err != nil || stored != 1 || reads != 0 {
		t.Fatalf("first proposal since the read: %d stored, %d agency reads, %v; want 1 stored and none read", stored, reads, err)
	}
	// Another run that read before that proposal was stored.
	reads, stored, err := propose(proposal("P-3", "P-4"))
	if !errors.Is(err, inspection.ErrProposalsMoved) || stored != 0 || reads == 0 {
		t.Fatalf("a run whose read predates a proposal taking its agencies: %d stored, %d agency reads, %v; want ErrProposalsMoved after reading", stored, reads, err)
	}
}
