package service_test

import (
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A refused token lifetime is said in Chinese units, as every duration in a
// message is: it was Go's "-1h0m0s", "59m59.999999995s", and for a lifetime
// of centuries the saturated "2562047h47m16.854775807s" (a trial of bad
// input, 2026-12-07).
func TestIssueToken_TTLOutOfRange_SaidInChineseUnits(t *testing.T) {
	e := newEnv(t, "")
	admin := ruqiv1.NewAdminServiceClient(e.cc)
	goUnits := regexp.MustCompile(`[0-9](h|m|s|ns)\b|[0-9]h[0-9]`)
	for _, c := range []struct {
		ttl  *durationpb.Duration
		want string
	}{
		{&durationpb.Duration{Seconds: -3600}, "负数"},
		{&durationpb.Duration{Seconds: 3600, Nanos: -5}, "无效"},
		{&durationpb.Duration{Seconds: 300_000_000_000}, "3472222天"},
		{&durationpb.Duration{Seconds: 400 * 24 * 3600}, "400天"},
		{&durationpb.Duration{Seconds: 30}, "收到30秒"},
		// Just past the longest (366 days by default): it was said "收到366天",
		// the longest itself, as if that were refused.
		{&durationpb.Duration{Seconds: 366*24*3600 + 3600}, "收到366天1小时"},
		{&durationpb.Duration{Seconds: 366*24*3600 + 1}, "收到366天1秒"},
		{&durationpb.Duration{Seconds: 366 * 24 * 3600, Nanos: 1}, "收到366天多"},
	} {
		_, err := admin.IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "张管理", Ttl: c.ttl})
		msg := status.Convert(err).Message()
		if status.Code(err) != codes.InvalidArgument || goUnits.MatchString(msg) || !strings.Contains(msg, c.want) {
			t.Errorf("ttl %v: %v, want InvalidArgument saying %q in Chinese units", c.ttl, err, c.want)
		}
	}
}
