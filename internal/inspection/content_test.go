package inspection_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A result recorded twice: the first event no longer matches the record,
// the latest does, and nothing differs. A result rewritten at rest differs
// from the latest event, and the check names it.
func TestCheckRecords_LatestResultCounts(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	officer := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	record := func(outcome ruqiv1.ItemOutcome, note string) {
		t.Helper()
		err := st.Update(context.Background(), func(tx store.Tx) error {
			_, err := inspection.RecordResult(tx, officer, now, 2*time.Minute, inspection.ResultInput{InspectionID: "INS-1", Summary: "现场检查",
				Items: []*ruqiv1.ItemResult{{CheckItemId: "IT-1", Outcome: outcome, Note: note,
					RectificationDeadline: timestamppb.New(now.Add(240 * time.Hour))}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check := func() inspection.RecordReport {
		t.Helper()
		var rep inspection.RecordReport
		if err := st.View(context.Background(), func(r store.Reader) error {
			var err error
			rep, err = inspection.CheckRecords(r, nil)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	record(ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, "灭火器过期")
	record(ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, "灭火器过期 3 具")
	if rep := check(); rep.Checked != 2 || len(rep.Differing) != 0 {
		t.Fatalf("a result recorded twice: %+v", rep)
	}
	// The deadline moved a year on, at rest.
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		ins, err := tx.Inspection("INS-1")
		if err != nil {
			return err
		}
		ins.Result.Items[0].RectificationDeadline = timestamppb.New(now.AddDate(1, 0, 0))
		return tx.PutInspection(ins)
	}); err != nil {
		t.Fatal(err)
	}
	rep := check()
	if len(rep.Differing) != 1 || rep.Differing[0].InspectionID != "INS-1" || rep.Differing[0].Type != ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED {
		t.Fatalf("the deadline rewritten: %+v", rep)
	}
}
