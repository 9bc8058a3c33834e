package service_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// ListReceipts reads an enterprise's events through the enterprise index,
// which the Merkle log's integration keeps; it listed whatever the index
// named. An entry that names another enterprise's event (a fault in the
// index, or a file mended by hand) gave that enterprise's inspection, its
// officers and its result away. Each event is held to the enterprise it
// names, as the receipts still on their way already were.
func TestListReceipts_IndexNamingAnotherEnterprisesEvent_NotListed(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e, clock, integrate := noticeEnvOn(t, st)
	t0 := *clock.Load()
	a1 := e.registrar(t, "AG-01")
	owner, other := e.dir.GetEnterprises()[2].GetUscc(), e.dir.GetEnterprises()[3].GetUscc()
	start := t0.Add(2 * time.Hour)
	if _, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(a1.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: owner, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"}); err != nil {
		t.Fatal(err)
	}
	clock.Store(&start) // begun: shown to its enterprise
	integrate()
	logs := ruqiv1.NewLogServiceClient(e.cc)
	own, err := logs.ListReceipts(e.as(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, owner)), &ruqiv1.ListReceiptsRequest{})
	if err != nil || len(own.GetReceipts()) == 0 {
		t.Fatalf("the owner's receipts: %v, %v", own, err)
	}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		for _, rc := range own.GetReceipts() {
			if err := tx.PutEnterpriseEvent(other, rc.GetEvent().GetSeq()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	theirs, err := logs.ListReceipts(e.as(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, other)), &ruqiv1.ListReceiptsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range theirs.GetReceipts() {
		if u := rc.GetEvent().GetEnterpriseUscc(); u != other {
			t.Errorf("enterprise %s was given a receipt of %s's %s (event %d)", other, u, rc.GetEvent().GetType(), rc.GetEvent().GetSeq())
		}
	}
}
