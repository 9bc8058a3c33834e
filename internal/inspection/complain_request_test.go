package inspection_test

import (
	"context"
	"testing"
	"time"

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
