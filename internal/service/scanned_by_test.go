package service

import (
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/store"
)

// The enterprise reads which of its credentials scanned: a web session
// started from an issued token (StartSession) names no account, and read
// as 政务服务账号「」; an issued token read as a bare 访问令牌 tok-….
func TestScannedBy_SaysWhichCredential(t *testing.T) {
	for _, c := range []struct {
		p         auth.Principal
		want, not string
	}{
		{auth.Principal{Kind: store.TokenSession, Label: "张三（政务服务网）", TokenID: "tok-1"}, "政务服务账号「张三（政务服务网）」", "tok-1"},
		{auth.Principal{Kind: store.TokenSession, TokenID: "tok-2"}, "以管理员签发的令牌登录的网页（tok-2）", "政务服务账号"},
		{auth.Principal{Kind: store.TokenDevice, Label: "前台", TokenID: "tok-3"}, "前台设备「前台」（tok-3）", "政务服务账号"},
		{auth.Principal{TokenID: "tok-4"}, "管理员签发的访问令牌（tok-4）", "政务服务账号"},
	} {
		got := scannedBy(c.p)
		if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
			t.Errorf("scannedBy(%+v) = %q, want %q without %q", c.p, got, c.want, c.not)
		}
	}
}
