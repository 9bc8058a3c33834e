package inspection_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// proposalReads counts the pages of every proposal a reader lists, and
// the proposals it reads, listed or one by one.
type proposalReads struct {
	store.Reader
	lists, read *int
}

func (r proposalReads) Proposals(p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	*r.lists++
	list, err := r.Reader.Proposals(p)
	*r.read += len(list)
	return list, err
}

func (r proposalReads) Proposal(id string) (*ruqiv1.JointVisitProposal, error) {
	*r.read++
	return r.Reader.Proposal(id)
}

func (r proposalReads) ProposalsOf(ids []string) (map[string]*ruqiv1.JointVisitProposal, error) {
	held, err := r.Reader.ProposalsOf(ids)
	*r.read += len(held)
	return held, err
}

// A matching run read every proposal ever made to find the open ones
// (OpenProposals): about 6 million after a province's year, growing with
// history (a review, 2026-12-07). Once every open proposal is marked
// (inspection.OpenMarksCompleteKey) it reads the marked ones only, and
// finds what the whole read found: a proposal marked as Propose stores it,
// one an older version stored and MarkOpenProposals marked; not one closed
// since (its mark goes with its state), nor one whose time has begun (its
// mark pruned).
func TestOpenProposals_MarkedOnes_NotEveryProposal(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(t, now)
	ctx := context.Background()
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	start, end := now.AddDate(0, 0, 7), now.AddDate(0, 1, 0)
	proposal := func(plan1, plan2 string, windowStart time.Time) matching.Proposal {
		return matching.Proposal{USCC: uscc, Lead: "AG-1",
			Members: []matching.Member{
				{PlanID: plan1, AgencyID: "AG-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: end},
				{PlanID: plan2, AgencyID: "AG-2", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: start, End: end}},
			WindowStart: windowStart, WindowEnd: windowStart.Add(8 * time.Hour)}
	}
	update := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	var fresh, begun *ruqiv1.JointVisitProposal
	update(func(tx store.Tx) error {
		if err := tx.PutAgency(&ruqiv1.Agency{Id: "AG-2", Name: "另一部门", RegionCode: region}); err != nil {
			return err
		}
		// History: closed proposals of other enterprises and an open one an
		// older version stored, without its mark.
		for i := range 50 {
			if err := tx.PutProposal(&ruqiv1.JointVisitProposal{Id: fmt.Sprintf("MAT-OLD%03d", i), EnterpriseUscc: fmt.Sprintf("91510104MA%08d", i),
				WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end), State: ruqiv1.ProposalState_PROPOSAL_STATE_FAILED,
				Members: []*ruqiv1.ProposalMember{{AgencyId: "AG-3"}, {AgencyId: "AG-4"}}}); err != nil {
				return err
			}
		}
		if err := tx.PutProposal(&ruqiv1.JointVisitProposal{Id: "MAT-LEGACY", EnterpriseUscc: uscc,
			WindowStart: timestamppb.New(start.Add(48 * time.Hour)), WindowEnd: timestamppb.New(start.Add(56 * time.Hour)),
			State: ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, Members: []*ruqiv1.ProposalMember{{AgencyId: "AG-3"}, {AgencyId: "AG-4"}}}); err != nil {
			return err
		}
		out, err := inspection.Propose(tx, admin, now, -1, []matching.Proposal{
			proposal("P-1", "P-2", start.Add(time.Hour)),
			proposal("P-3", "P-4", now.Add(30*time.Minute)), // its time begins within the hour
		}, func(string, string) string { return "" })
		if err != nil || len(out) != 2 {
			return fmt.Errorf("propose: %d stored, %v", len(out), err)
		}
		fresh, begun = out[0], out[1]
		return nil
	})
	read := func(at time.Time) (lists, gets int, takes map[string]bool) {
		t.Helper()
		takes = map[string]bool{}
		err := st.View(ctx, func(r store.Reader) error {
			taken, _, err := inspection.OpenProposals(proposalReads{r, &lists, &gets}, at)
			for _, ag := range []string{"AG-1", "AG-3"} {
				for _, w := range []struct {
					name       string
					start, end time.Time
				}{{"fresh", start, start.Add(24 * time.Hour)}, {"legacy", start.Add(48 * time.Hour), start.Add(72 * time.Hour)}, {"begun", now, now.Add(24 * time.Hour)}} {
					if taken(uscc, ag, w.start, w.end) {
						takes[ag+" "+w.name] = true
					}
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return lists, gets, takes
	}
	want := "map[AG-1 begun:true AG-1 fresh:true AG-3 legacy:true]"
	// Before the marks are complete: every proposal read.
	if lists, _, takes := read(now); lists == 0 || fmt.Sprint(takes) != want {
		t.Fatalf("before the marks are complete: %d lists, taken %v; want every proposal listed, %s", lists, takes, want)
	}
	update(func(tx store.Tx) error {
		return inspection.MarkOpenProposals(tx, []string{"MAT-LEGACY", "MAT-OLD001"}, true)
	})
	lists, gets, takes := read(now)
	if lists != 0 || gets != 3 || fmt.Sprint(takes) != want {
		t.Fatalf("marks complete: %d lists, %d proposals read, taken %v; want none listed, the 3 open read, %s", lists, gets, takes, want)
	}
	// Both members decline: the proposal fails, and its mark goes.
	update(func(tx store.Tx) error {
		for _, ag := range []string{"AG-1", "AG-2"} {
			if _, err := inspection.AnswerProposal(tx, admin, now, inspection.Answer{ProposalID: fresh.GetId(), AgencyID: ag}); err != nil {
				return err
			}
		}
		return nil
	})
	if _, gets, takes := read(now); gets != 2 || takes["AG-1 fresh"] {
		t.Fatalf("after the proposal failed: %d proposals read, taken %v; want 2 read, the failed one not taken", gets, takes)
	}
	// An hour later the other's time has begun: not read, and its mark
	// is pruned; the legacy proposal's stays.
	later := now.Add(time.Hour)
	if _, gets, takes := read(later); gets != 1 || fmt.Sprint(takes) != "map[AG-3 legacy:true]" {
		t.Fatalf("an hour later: %d proposals read, taken %v; want the legacy one alone", gets, takes)
	}
	var marks []string
	update(func(tx store.Tx) error {
		n, err := inspection.PruneOpenMarks(tx, later)
		if err != nil || n != 1 {
			return fmt.Errorf("pruned %d marks, %v; want the begun proposal's", n, err)
		}
		return tx.Counts(inspection.OpenMarkPrefix, func(k string, _ int64) error { marks = append(marks, k); return nil })
	})
	if len(marks) != 1 || !strings.HasSuffix(marks[0], "|MAT-LEGACY") || strings.Contains(strings.Join(marks, " "), begun.GetId()) {
		t.Fatalf("marks left %v, want the legacy proposal's alone", marks)
	}
}

// BenchmarkOpenProposals_AfterAYearOfProposals reads a matching run's open
// proposals from a bbolt store holding history proposals whose time has
// begun (their marks pruned) and 100 still open: "every proposal" is the
// read before the marks are complete (every run's before), "marked" the
// read after. proposals-read/op counts the proposals decoded.
func BenchmarkOpenProposals_AfterAYearOfProposals(b *testing.B) {
	const history, open = 20000, 100
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(b, now)
	ctx := context.Background()
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	proposal := func(i int, at time.Time) matching.Proposal {
		return matching.Proposal{USCC: fmt.Sprintf("91510104MA%08d", i), Lead: "AG-1",
			Members: []matching.Member{
				{PlanID: fmt.Sprintf("P-%d", i), AgencyID: "AG-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: at, End: at.AddDate(0, 1, 0)},
				{PlanID: fmt.Sprintf("Q-%d", i), AgencyID: "AG-2", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: at, End: at.AddDate(0, 1, 0)}},
			WindowStart: at.Add(time.Hour), WindowEnd: at.Add(9 * time.Hour)}
	}
	for lo := 0; lo < history+open; lo += 1000 {
		var props []matching.Proposal
		for i := lo; i < min(lo+1000, history+open); i++ {
			at := now.AddDate(0, 0, -1-i%300) // begun, on a day of the year gone by
			if i >= history {
				at = now.AddDate(0, 0, 7)
			}
			props = append(props, proposal(i, at))
		}
		if err := st.Update(ctx, func(tx store.Tx) error {
			_, err := inspection.Propose(tx, admin, now, -1, props, nil)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Update(ctx, func(tx store.Tx) error { _, err := inspection.PruneOpenMarks(tx, now); return err }); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		complete bool
	}{{"every proposal", false}, {"marked", true}} {
		if bc.complete {
			if err := st.Update(ctx, func(tx store.Tx) error { return inspection.MarkOpenProposals(tx, nil, true) }); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			var lists, read int
			for b.Loop() {
				err := st.View(ctx, func(r store.Reader) error {
					taken, _, err := inspection.OpenProposals(proposalReads{r, &lists, &read}, now)
					if err == nil && !taken(fmt.Sprintf("91510104MA%08d", history), "AG-2", now.AddDate(0, 0, 7), now.AddDate(0, 0, 8)) {
						b.Fatal("an open proposal not found")
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(read)/float64(b.N), "proposals-read/op")
		})
	}
}

// A proposal whose common time begins later in the current minute is still
// open: its mark is read and not pruned (the marks keep minutes, and only
// a minute before now's is over for certain).
func TestOpenMarks_TimeLaterInThisMinute_StillOpen(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 10, 0, time.UTC)
	st := fixture(t, now)
	ctx := context.Background()
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	at := now.Add(20 * time.Second)
	err := st.Update(ctx, func(tx store.Tx) error {
		_, err := inspection.Propose(tx, admin, now, -1, []matching.Proposal{{USCC: uscc, Lead: "AG-1",
			Members: []matching.Member{
				{PlanID: "P-1", AgencyID: "AG-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: at, End: at.Add(24 * time.Hour)},
				{PlanID: "P-2", AgencyID: "AG-2", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Start: at, End: at.Add(24 * time.Hour)}},
			WindowStart: at, WindowEnd: at.Add(8 * time.Hour)}}, nil)
		if err != nil {
			return err
		}
		if err := inspection.MarkOpenProposals(tx, nil, true); err != nil {
			return err
		}
		if n, err := inspection.PruneOpenMarks(tx, now); err != nil || n != 0 {
			return fmt.Errorf("pruned %d marks, %v; want none", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(ctx, func(r store.Reader) error {
		taken, _, err := inspection.OpenProposals(r, now)
		if err == nil && !taken(uscc, "AG-2", at, at.Add(time.Hour)) {
			return fmt.Errorf("a proposal beginning in %s not taken at %s", at.Format(time.TimeOnly), now.Format(time.TimeOnly))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
