package inspection_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
)

// A review, 2026-12-06, fixed since (REQUEST_ID_REUSED). A complaint's request id (ComplainRequest.request_id) makes the same
// complaint sent twice one lead. The web form's id stays in the page: an
// enterprise that files a complaint, goes back and files another with the
// form the browser restored, or a CLI user who repeats --request-id with
// other words, sends a different complaint under the same id. It is
// answered with the first complaint's lead, as if recorded, and the second
// complaint is nowhere: no error (registration says REQUEST_ID_REUSED) and
// no flag (a refusal says reason_not_recorded).
func TestComplain_SameRequestIDOtherWords_NotSilentlyDropped(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	complain := func(desc string) (string, error) {
		var id string
		err := st.Update(context.Background(), func(tx store.Tx) error {
			l, _, err := inspection.Complain(tx, enterprise, now, time.Minute, inspection.Complaint{Description: desc, RequestID: "form-1"})
			id = l.GetId()
			return err
		})
		return id, err
	}
	first, err := complain("无码入企")
	if err != nil {
		t.Fatal(err)
	}
	second, err := complain("检查人员索要财物")
	if err == nil && second == first {
		t.Errorf("a second, different complaint under the same request id answered with the first's lead %s and no error: it was never recorded", first)
	}
}

// The web form sent again under its request id with another 发生时间 (Back,
// the time changed) was answered as recorded and kept the first time (a
// review, 2026-12-08). A time given must be the one recorded; the same
// form sent again as it was, or without a time, is the first complaint.
func TestComplain_SameRequestIDOtherTime_NotSilentlyDropped(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	complain := func(at *time.Time) (string, bool, error) {
		var id string
		var again bool
		err := st.Update(context.Background(), func(tx store.Tx) error {
			c := inspection.Complaint{Description: "无码入企", RequestID: "form-2"}
			if at != nil {
				c.OccurredAt = timestamppb.New(*at)
			}
			l, dup, err := inspection.Complain(tx, enterprise, now, time.Minute, c)
			id, again = l.GetId(), dup
			return err
		})
		return id, again, err
	}
	t1, t2 := now.Add(-48*time.Hour).Truncate(time.Minute), now.Add(-2*time.Hour).Truncate(time.Minute)
	first, _, err := complain(&t1)
	if err != nil {
		t.Fatal(err)
	}
	if id, again, err := complain(&t1); err != nil || id != first || !again {
		t.Errorf("the same form sent again: %s, again %v, %v; want %s, answered as recorded", id, again, err, first)
	}
	if id, again, err := complain(nil); err != nil || id != first || !again {
		t.Errorf("sent again without a time: %s, again %v, %v; want %s, answered as recorded", id, again, err, first)
	}
	if id, _, err := complain(&t2); err == nil {
		t.Errorf("sent again with another time: answered with lead %s and no error; the time %v was dropped", id, t2)
	}
}
