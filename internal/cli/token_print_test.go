package cli

import (
	"bytes"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// `admin token rotate` knows neither the role nor the subject of the new
// token (RotateAccessTokenResponse names neither): it printed "角色  -"
// above the new token, as if the token had no role (a README walk,
// 2026-12-06). A line with nothing to say is left out, as 主体 was.
func TestTokenPrint_RotatedHasNoRoleLine(t *testing.T) {
	var out bytes.Buffer
	p := &tablePrinter{out: &out}
	p.Token(&ruqiv1.IssueAccessTokenRequest{Description: "轮换自 tok-1（已吊销）"},
		&ruqiv1.IssueAccessTokenResponse{Token: "rq_x", TokenId: "tok-2"})
	if strings.Contains(out.String(), "角色") {
		t.Errorf("a rotated token's print should have no role line; got\n%s", out.String())
	}
	out.Reset()
	p.Token(&ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-0001"},
		&ruqiv1.IssueAccessTokenResponse{Token: "rq_x", TokenId: "tok-3"})
	if !strings.Contains(out.String(), "执法人员") || !strings.Contains(out.String(), "O-0001") {
		t.Errorf("an issued token's print should name its role and subject; got\n%s", out.String())
	}
}
