package inspection_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// BenchmarkLeadsFollowEnterprises is what a directory import's batch that
// moves an enterprise adds to the writer on bbolt: one pass over every lead
// (LeadsFollowEnterprises), here with one lead to move. 7,000 leads are five
// years of 四川's 1,400 a year (DOMAIN.md); 30,000 a generous bound. A
// province's monthly update of 3.8 million enterprises is 760 batches of
// 5,000 lines, each of which may move someone. One lead is the commit alone.
//
//	go test -run '^$' -bench LeadsFollowEnterprises -benchtime 20x -count 3 ./internal/inspection/
func BenchmarkLeadsFollowEnterprises(b *testing.B) {
	for _, leads := range []int{1, 7000, 30000} {
		b.Run(fmt.Sprintf("leads=%d", leads), func(b *testing.B) {
			now := midMonth()
			st := fixture(b, now)
			ctx := context.Background()
			err := st.Update(ctx, func(tx store.Tx) error {
				for i := range leads {
					l := &ruqiv1.Lead{Id: fmt.Sprintf("L-%08d", i), Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED,
						EnterpriseUscc: fmt.Sprintf("915101%012d", i), RegionCode: region, Description: "无码入企，执法人员未出示检查码",
						OccurredAt: timestamppb.New(now.Add(-time.Hour)), CreatedAt: timestamppb.New(now)}
					if err := tx.PutLead(l); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			// Each round moves the first lead's enterprise to the other
			// region, so that every pass writes one lead as a real move does.
			regions := [2]string{"510104", region}
			i := 0
			for b.Loop() {
				to := regions[i%2]
				i++
				err := st.Update(ctx, func(tx store.Tx) error {
					return inspection.LeadsFollowEnterprises(tx, map[string]string{fmt.Sprintf("915101%012d", 0): to})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			var got string
			if err := st.View(ctx, func(r store.Reader) error {
				l, err := r.Lead("L-00000000")
				got = l.GetRegionCode()
				return err
			}); err != nil {
				b.Fatal(err)
			}
			if want := regions[(i-1)%2]; got != want {
				b.Fatalf("the moved enterprise's lead is in %s, want %s", got, want)
			}
		})
	}
}

// BenchmarkMarkOwnLeads is what indexing the leads under their enterprises
// (MarkOwnLeads) costs a start on bbolt: each iteration is a start's pass
// over a store whose leads are all marked already; first-pass-ms is the one
// start that marks them all, after the upgrade. 7,000 and 30,000 leads as
// for BenchmarkLeadsFollowEnterprises.
//
//	go test -run '^$' -bench MarkOwnLeads -benchtime 5x -count 2 ./internal/inspection/
func BenchmarkMarkOwnLeads(b *testing.B) {
	for _, leads := range []int{7000, 30000} {
		b.Run(fmt.Sprintf("leads=%d", leads), func(b *testing.B) {
			now := midMonth()
			st := fixture(b, now)
			ctx := context.Background()
			err := st.Update(ctx, func(tx store.Tx) error {
				for i := range leads {
					l := &ruqiv1.Lead{Id: fmt.Sprintf("L-%08d", i), Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED,
						EnterpriseUscc: fmt.Sprintf("915101%012d", i%5000), RegionCode: region, Description: "无码入企，执法人员未出示检查码",
						OccurredAt: timestamppb.New(now.Add(-time.Hour)), CreatedAt: timestamppb.New(now.Add(time.Duration(i) * time.Second))}
					if err := tx.PutLead(l); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			view := func(fn func(store.Reader) error) error { return st.View(ctx, fn) }
			update := func(fn func(store.Tx) error) error { return st.Update(ctx, fn) }
			start := time.Now()
			n, err := inspection.MarkOwnLeads(view, update)
			if err != nil || n != leads {
				b.Fatalf("the first pass marked %d of %d leads: %v", n, leads, err)
			}
			first := time.Since(start)
			for b.Loop() {
				if n, err := inspection.MarkOwnLeads(view, update); err != nil || n != 0 {
					b.Fatalf("a later pass marked %d: %v", n, err)
				}
			}
			b.ReportMetric(float64(first.Microseconds())/1000, "first-pass-ms")
			var ids []string
			if err := st.View(ctx, func(r store.Reader) error {
				ids, err = inspection.OwnLeadIDs(r, fmt.Sprintf("915101%012d", 0))
				return err
			}); err != nil || len(ids) != (leads+4999)/5000 {
				b.Fatalf("enterprise 0 follows %d leads (%v), want %d", len(ids), err, (leads+4999)/5000)
			}
		})
	}
}
