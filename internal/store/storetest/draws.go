package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 双随机 draws round-trip and page by id; accompaniments list by inspection
// (an inspection id that is a prefix of another's lists only its own);
// CheckpointAtLeast finds the first checkpoint of at least a size.
func testDrawsAccompaniments(t *testing.T, o Opener) {
	s := open(t, o)
	draws := []*ruqiv1.Draw{
		{Id: "DRW-B", AgencyId: "A1", EnterprisePopulation: []string{"U1", "U2"}, EnterpriseCount: 1, Commitment: []byte{1, 2}},
		{Id: "DRW-A", AgencyId: "A1", OfficerPopulation: []string{"O1"}, OfficerCount: 1, PickedEnterprises: []string{"U9"}},
		{Id: "DRW-C", AgencyId: "A2"},
	}
	accs := []*ruqiv1.Accompaniment{
		{Id: "ACC-2", InspectionId: "INS-1", SupervisorName: "乙"},
		{Id: "ACC-1", InspectionId: "INS-1", SupervisorName: "甲"},
		{Id: "ACC-3", InspectionId: "INS-10", SupervisorName: "丙"},
	}
	update(t, s, func(tx store.Tx) error {
		for _, d := range draws {
			if err := tx.PutDraw(d); err != nil {
				return err
			}
		}
		for _, a := range accs {
			if err := tx.PutAccompaniment(a); err != nil {
				return err
			}
		}
		for _, size := range []uint64{4, 9, 20} {
			if err := tx.PutCheckpoint(size, []byte(fmt.Sprintf("cp %d", size))); err != nil {
				return err
			}
		}
		return nil
	})
	// A draw revealed later replaces its record.
	revealed := proto.CloneOf(draws[0])
	revealed.PickedEnterprises = []string{"U2"}
	update(t, s, func(tx store.Tx) error { return tx.PutDraw(revealed) })
	err := s.View(ctx, func(r store.Reader) error {
		got, err := r.Draw("DRW-B")
		if err != nil || !proto.Equal(got, revealed) {
			return fmt.Errorf("draw DRW-B = %v, %v; want %v", got, err, revealed)
		}
		if _, err := r.Draw("DRW-X"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("draw of a missing id: %v, want ErrNotFound", err)
		}
		page, err := r.Draws(store.Page{Limit: 2})
		if ids := keys(page, (*ruqiv1.Draw).GetId); err != nil || !slices.Equal(ids, []string{"DRW-A", "DRW-B"}) {
			return fmt.Errorf("first page of draws = %v, %v", ids, err)
		}
		page, err = r.Draws(store.Page{After: "DRW-B", Limit: 2})
		if ids := keys(page, (*ruqiv1.Draw).GetId); err != nil || !slices.Equal(ids, []string{"DRW-C"}) {
			return fmt.Errorf("second page of draws = %v, %v", ids, err)
		}
		list, err := r.Accompaniments("INS-1")
		if ids := keys(list, (*ruqiv1.Accompaniment).GetId); err != nil || !slices.Equal(ids, []string{"ACC-1", "ACC-2"}) {
			return fmt.Errorf("accompaniments of INS-1 = %v, %v", ids, err)
		}
		if list, err := r.Accompaniments("INS-9"); err != nil || len(list) != 0 {
			return fmt.Errorf("accompaniments of INS-9 = %v, %v; want none", list, err)
		}
		for _, c := range []struct {
			at, want uint64
		}{{1, 4}, {4, 4}, {5, 9}, {20, 20}} {
			size, note, err := r.CheckpointAtLeast(c.at)
			if err != nil || size != c.want || string(note) != fmt.Sprintf("cp %d", c.want) {
				return fmt.Errorf("checkpoint at least %d = %d %q %v, want %d", c.at, size, note, err, c.want)
			}
		}
		if _, _, err := r.CheckpointAtLeast(21); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("checkpoint past the last: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// An accompaniment recorded later replaces the attached one.
	recorded := proto.CloneOf(accs[1])
	recorded.Notes = "已记录"
	update(t, s, func(tx store.Tx) error { return tx.PutAccompaniment(recorded) })
	err = s.View(ctx, func(r store.Reader) error {
		list, err := r.Accompaniments("INS-1")
		if err != nil || len(list) != 2 || !proto.Equal(list[0], recorded) {
			return fmt.Errorf("accompaniments after the record = %v, %v", list, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
