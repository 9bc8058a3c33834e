package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// No province's division code starts with 00. A supervisor of "000000"
// covered no region where RegionCovers held it (an enterprise, a lead, an
// inspection), but the report read its region as its empty prefix, every
// region: a national override nobody meant to grant. The code is refused
// when a token is issued, and a supervisor token made before that reads
// no report.
func TestSupervisor_RegionZero_NotANationalOverride(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	admin := ruqiv1.NewAdminServiceClient(e.cc)
	_, err = admin.IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "000000"})
	if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "REGION_MALFORMED" {
		t.Errorf("a supervisor's token for region 000000: %v, want INVALID_ARGUMENT REGION_MALFORMED", err)
	}
	// The reason is the code's own: 990000 is no province (it read "不能为
	// 00", a review, 2026-12-07).
	_, err = admin.IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "990000"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "前两位99不是任何省") {
		t.Errorf("a supervisor's token for region 990000: %v, want the unknown province said", err)
	}
	reports := ruqiv1.NewReportServiceClient(e.cc)
	if _, err := reports.GetFrequencyReport(e.as(e.admin), &ruqiv1.GetFrequencyReportRequest{RegionCode: "000000"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a report of region 000000: %v, want INVALID_ARGUMENT", err)
	}

	// A token of the version before, written as it issued it.
	const legacy = "ruqi-legacy-national-supervisor-token-0123456789"
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutAccessToken(&store.AccessToken{ID: "tok-legacy-000000", Hash: auth.HashToken(legacy), Role: ruqiv1.Role_ROLE_SUPERVISOR,
			Subject: "000000", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), Kind: store.TokenIssued})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := reports.GetFrequencyReport(e.as(legacy), &ruqiv1.GetFrequencyReportRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("the report to a supervisor of region 000000: %v, want PERMISSION_DENIED (it read every region's)", err)
	}
	sup := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510000")
	if _, err := reports.GetFrequencyReport(e.as(sup), &ruqiv1.GetFrequencyReportRequest{}); err != nil {
		t.Errorf("the report to the province's supervisor: %v", err)
	}
}
