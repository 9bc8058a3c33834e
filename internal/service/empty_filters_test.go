package service_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A trial of bad input (2026-12-06): DescribeCode without a code answered
// NOT_FOUND "此入企码无法显示名称…", where ScanCode says CODE_MISSING; and
// ListEvents filtered by an inspection id no event can name (900 KB) read
// a page of the log and answered it empty, with a position to page on
// from, through the whole log, for nothing.
func TestDescribeCodeWithoutCode_AndListEventsByAnImpossibleID_InvalidArgument(t *testing.T) {
	e := newEnv(t, "")
	_, err := ruqiv1.NewKeyServiceClient(e.cc).DescribeCode(context.Background(), &ruqiv1.DescribeCodeRequest{Code: "  "})
	if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "CODE_MISSING" {
		t.Errorf("DescribeCode without a code: %v, want InvalidArgument CODE_MISSING", err)
	}
	_, err = ruqiv1.NewAdminServiceClient(e.cc).ListEvents(e.as(e.admin), &ruqiv1.ListEventsRequest{InspectionId: strings.Repeat("I", 900<<10)})
	if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "INSPECTION_ID_TOO_LONG" {
		t.Errorf("ListEvents by a 900 KB inspection id: %v, want InvalidArgument INSPECTION_ID_TOO_LONG", err)
	}
}
