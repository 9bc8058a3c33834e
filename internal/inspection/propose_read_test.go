package inspection_test

import (
	"context"
	"errors"
	"fmt"
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

// BenchmarkPropose_AfterAYearOfProposals stores a run's 100 proposals in a
// store already holding history proposals (40 agencies, two members each),
// as the writer does: "read since" skips the member agencies' proposals
// when the run's read saw the count the writer sees (the common case);
// "read again" is the path taken when a proposal was stored since, which
// was every run's before. agency-reads/op counts the pages of
// ProposalsOfAgency read.
func BenchmarkPropose_AfterAYearOfProposals(b *testing.B) {
	const history, run, agencies = 20000, 100, 40
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(b, now)
	ctx := context.Background()
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	start, end := now.AddDate(0, 0, 7), now.AddDate(0, 1, 0)
	proposal := func(i int) matching.Proposal {
		a1, a2 := fmt.Sprintf("AG-%02d", i%agencies), fmt.Sprintf("AG-%02d", (i+1)%agencies)
		return matching.Proposal{USCC: fmt.Sprintf("91510104MA%08d", i), Lead: a1,
			Members: []matching.Member{
				{PlanID: fmt.Sprintf("P-%d", i), AgencyID: a1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: end},
				{PlanID: fmt.Sprintf("Q-%d", i), AgencyID: a2, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: end}},
			WindowStart: start.Add(time.Hour), WindowEnd: start.Add(9 * time.Hour)}
	}
	for lo := 0; lo < history; lo += 1000 {
		var props []matching.Proposal
		for i := lo; i < lo+1000; i++ {
			props = append(props, proposal(i))
		}
		if err := st.Update(ctx, func(tx store.Tx) error {
			_, err := inspection.Propose(tx, admin, now, -1, props, nil)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	for k, bc := range []struct {
		name  string
		since bool
	}{{"read since", true}, {"read again", false}} {
		// Each its own enterprises, across -count's runs too: a proposal
		// stored before is not proposed again (and nothing read).
		next := (k + 1) * 10_000_000
		b.Run(bc.name, func(b *testing.B) {
			reads := 0
			for b.Loop() {
				props := make([]matching.Proposal, run)
				for i := range props {
					props[i] = proposal(next)
					next++
				}
				err := st.Update(ctx, func(tx store.Tx) error {
					made := int64(-1)
					if bc.since {
						var err error
						if made, err = tx.Count(inspection.ProposalsMadeKey); err != nil {
							return err
						}
					}
					_, err := inspection.Propose(agencyReads{tx, &reads}, admin, now, made, props, nil)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(reads)/float64(b.N), "agency-reads/op")
		})
	}
}
