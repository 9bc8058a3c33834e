package inspection_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/draw"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var admin = auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}

// A population named by region and industry is the directory's enterprises
// in the region or under it, of that industry, sorted; one over the draw's
// limit is refused rather than cut.
func TestDrawPopulation_ByFilter_AndItsLimit(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "draw.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// draw.MaxEnterprises restaurants in 510104 and one in 510105, three
	// shops in 510104: the city holds one more than a draw may list.
	err = st.Update(context.Background(), func(tx store.Tx) error {
		put := func(uscc, region, industry string) error {
			return tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: uscc, Name: "样例", RegionCode: region, Industry: industry})
		}
		for i := range draw.MaxEnterprises {
			if err := put(fmt.Sprintf("U%07d", i), "510104", "餐饮"); err != nil {
				return err
			}
		}
		return errors.Join(tx.PutAgency(&ruqiv1.Agency{Id: "AG-1", Name: "市场监督管理局", RegionCode: "510100"}),
			tx.PutAgency(&ruqiv1.Agency{Id: "AG-2", Name: "锦江区市场监督管理局", RegionCode: "510104"}),
			put("V0000002", "510104", "零售"), put("V0000001", "510104", "零售"), put("V0000003", "510104", "零售"),
			put("W0000001", "510105", "餐饮"))
	})
	if err != nil {
		t.Fatal(err)
	}
	resolveFor := func(agency, region, industry string) (*ruqiv1.CommitDrawRequest, error) {
		var out *ruqiv1.CommitDrawRequest
		err := st.View(context.Background(), func(r store.Reader) error {
			var err error
			out, _, err = inspection.DrawPopulation(r, admin, &ruqiv1.CommitDrawRequest{AgencyId: agency, EnterpriseFilter: &ruqiv1.EnterpriseFilter{RegionCode: region, Industry: industry}},
				func(string, *ruqiv1.Enterprise) bool { return false })
			return err
		})
		return out, err
	}
	resolve := func(region, industry string) (*ruqiv1.CommitDrawRequest, error) {
		return resolveFor("AG-1", region, industry)
	}
	shops, err := resolve("510104", "零售")
	if err != nil || !slices.Equal(shops.GetEnterprisePopulation(), []string{"V0000001", "V0000002", "V0000003"}) {
		t.Fatalf("510104 零售 = %v, %v; want the three shops in order", shops.GetEnterprisePopulation(), err)
	}
	county, err := resolve("510104", "餐饮")
	if err != nil || len(county.GetEnterprisePopulation()) != draw.MaxEnterprises {
		t.Fatalf("510104 餐饮: %d, %v; want exactly the limit", len(county.GetEnterprisePopulation()), err)
	}
	var de *domain.Error
	if _, err := resolve("510100", "餐饮"); !errors.As(err, &de) || de.Reason != "DRAW_POPULATION_TOO_LARGE" {
		t.Fatalf("the city's restaurants, one over the limit: %v; want DRAW_POPULATION_TOO_LARGE", err)
	}
	if got, err := resolve("510105", ""); err != nil || !slices.Equal(got.GetEnterprisePopulation(), []string{"W0000001"}) {
		t.Fatalf("510105, any industry = %v, %v", got.GetEnterprisePopulation(), err)
	}
	// A district's agency draws from its district only (属地管辖): what it
	// drew elsewhere it could not register.
	if got, err := resolveFor("AG-2", "510104", "零售"); err != nil || len(got.GetEnterprisePopulation()) != 3 {
		t.Fatalf("锦江区's agency, 510104 零售 = %v, %v", got.GetEnterprisePopulation(), err)
	}
	for _, region := range []string{"510105", "510100"} {
		if _, err := resolveFor("AG-2", region, ""); !errors.As(err, &de) || de.Reason != "OUTSIDE_JURISDICTION" {
			t.Fatalf("锦江区's agency drawing from %s: %v; want OUTSIDE_JURISDICTION", region, err)
		}
	}
}

// A commit retried with its request id answers the draw it committed and
// commits nothing more; the id used for another draw is refused. A retry
// whose answer was lost committed a second draw over the same population,
// which an agency could reveal and keep if it liked it better (a trial of
// the CLI, 2026-12-05).
func TestCommitDraw_RequestID_OneDraw(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "draw.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(context.Background(), func(tx store.Tx) error {
		errs := []error{tx.PutAgency(&ruqiv1.Agency{Id: "AG-1", Name: "市场监督管理局", RegionCode: "510104"})}
		for i := range 5 {
			errs = append(errs, tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: fmt.Sprintf("U%07d", i), Name: "样例", RegionCode: "510104"}))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	commit := func(title string) (*ruqiv1.Draw, error) {
		var d *ruqiv1.Draw
		err := st.Update(context.Background(), func(tx store.Tx) error {
			var err error
			d, err = inspection.CommitDraw(tx, admin, midMonth(), &ruqiv1.CommitDrawRequest{AgencyId: "AG-1", Title: title, EnterpriseCount: 2,
				EnterprisePopulation: []string{"U0000003", "U0000001", "U0000002"}, RequestId: "req-1"})
			return err
		})
		return d, err
	}
	first, err := commit("12月双随机")
	if err != nil {
		t.Fatal(err)
	}
	again, err := commit("12月双随机")
	if err != nil || again.GetId() != first.GetId() {
		t.Fatalf("the same commit again: %v %v, want draw %s", again.GetId(), err, first.GetId())
	}
	n := 0
	for _, e := range events(t, st) {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_DRAW_COMMITTED {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d DRAW_COMMITTED events, want 1", n)
	}
	var de *domain.Error
	if _, err := commit("另一次抽取"); !errors.As(err, &de) || de.Reason != "REQUEST_ID_REUSED" {
		t.Errorf("the request id of another draw: %v, want REQUEST_ID_REUSED", err)
	}
}
