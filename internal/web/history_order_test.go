package web

import (
	"context"
	"net/http"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 检查记录 lists the latest visit first. Found by a review (2026-12-06):
// ListInspections pages the store's index by inspection id
// (INS-<registration day>-…), oldest first, and the page showed it so: an
// enterprise with more than 20 inspections found its latest result last,
// behind "更早的记录" links that led to later ones.
func TestHistory_LatestVisitFirst(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	f := newFixtureAt(t, func() time.Time { return time.Unix(0, now.Load()) })
	older := f.code.GetInspectionId()
	now.Add(int64(3 * 24 * time.Hour))
	at := time.Unix(0, now.Load())
	resp, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(context.Background(), f.officer), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: f.entUSCC, CheckItemIds: []string{"CI-0001"}, OfficerIds: []string{"O-0001", "O-0010"},
		WindowStart: timestamppb.New(at), WindowEnd: timestamppb.New(at.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "复查",
	})
	if err != nil {
		t.Fatal(err)
	}
	newer := resp.GetInspection().GetId()
	c := f.signInEnterprise(f.ent)
	r := f.do("GET", "/history", nil, c)
	body := readBody(t, r)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("/history: %d %s", r.StatusCode, visible(body))
	}
	var ids []string
	for _, m := range regexp.MustCompile(`data-id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	t.Logf("older %s (registered first), newer %s (three days later); the page lists %v", older, newer, ids)
	if len(ids) != 2 || ids[0] != newer {
		t.Errorf("检查记录 does not list the newest inspection first: %v", ids)
	}
}
