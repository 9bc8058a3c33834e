package inspection_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An agency head acts for their agency, as its administrator does: `ruqi
// officer items` with a head's token answered AGENCY_MISSING "请指定执法部门
// 编号", although the token names the agency (and the plans the head
// approves list their items by id). Asked for nothing, a head's agency is
// their own.
func TestAgencyOf_HeadDefaultsToOwnAgency(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "head.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutAgency(&ruqiv1.Agency{Id: "AG-01", Name: "市场监督管理局", RegionCode: "510100"})
	}); err != nil {
		t.Fatal(err)
	}
	head := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_HEAD, Subject: "AG-01"}
	err = st.View(context.Background(), func(r store.Reader) error {
		got, err := inspection.AgencyOf(r, head, "")
		if err != nil || got != "AG-01" {
			t.Errorf("AgencyOf(head of AG-01, \"\") = %q, %v; want AG-01", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
