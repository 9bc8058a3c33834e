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

// Found by a review (2026-12-06). A result recorded by this version, then
// recorded again (corrected before
// closing) by a server of the version before, as happens while replicas on
// one PostgreSQL database are upgraded one by one, or after a roll-back: the
// older server's event names only the outcomes, as events before 2026-12-06
// did. Nothing was rewritten at rest; the stored result is the one the
// latest result event recorded. CheckRecords must not call it a record
// rewritten or damaged (and it would, for ever: the events do not change).
func TestCheckRecords_ResultRecordedAgainByAnOlderServer(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	officer := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		_, err := inspection.RecordResult(tx, officer, now, 2*time.Minute, inspection.ResultInput{InspectionID: "INS-1", Summary: "现场检查",
			Items: []*ruqiv1.ItemResult{{CheckItemId: "IT-1", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, Note: "灭火器过期",
				RectificationDeadline: timestamppb.New(now.Add(240 * time.Hour))}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The older server records the corrected result: the record, and an
	// event whose detail is the outcomes only (its outcomeSummary).
	later := now.Add(10 * time.Minute)
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		ins, err := tx.Inspection("INS-1")
		if err != nil {
			return err
		}
		ins.Result = &ruqiv1.InspectionResult{InspectionId: "INS-1", AgencyId: "AG-1", EnterpriseUscc: uscc, Summary: "现场检查，已当场整改",
			Items:      []*ruqiv1.ItemResult{{CheckItemId: "IT-1", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}},
			RecordedAt: timestamppb.New(later), RecordedBy: officer.String()}
		if err := tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.New(later), Type: ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED, Actor: officer.String(),
			InspectionId: "INS-1", EnterpriseUscc: uscc, Detail: "IT-1=NO_PROBLEM"}); err != nil {
			return err
		}
		return tx.PutInspection(ins)
	}); err != nil {
		t.Fatal(err)
	}
	var rep inspection.RecordReport
	if err := st.View(context.Background(), func(r store.Reader) error {
		var err error
		rep, err = inspection.CheckRecords(r, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(rep.Differing) != 0 {
		t.Errorf("a result recorded again by the older version, nothing rewritten at rest: %d records differ %+v (`admin events verify`: 存储的记录与事件日志不符…记录被改写或损坏)",
			len(rep.Differing), rep.Differing)
	}
}
