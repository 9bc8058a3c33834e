package cli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"

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

type rotateAdmin struct {
	ruqiv1.UnimplementedAdminServiceServer
}

func (rotateAdmin) RotateAccessToken(context.Context, *ruqiv1.RotateAccessTokenRequest) (*ruqiv1.RotateAccessTokenResponse, error) {
	return &ruqiv1.RotateAccessTokenResponse{Token: "rq_new", TokenId: "tok-new", RevokedTokenId: "tok-old",
		SessionsEnded: []string{"tok-sess"}, DevicesLeft: []string{"tok-dev1"}}, nil
}

// `-o json admin token rotate` printed the issue's JSON followed by two
// Chinese lines, and no devices_left (a review, 2026-12-07): it prints the
// whole answer as JSON.
func TestTokenRotate_JSONIsTheWholeAnswer(t *testing.T) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterAdminServiceServer(srv, rotateAdmin{})
	go srv.Serve(lis)
	defer srv.Stop()
	a, out, _ := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	if code := a.run([]string{"--server", "passthrough:///bufnet", "--token", "rq_admin", "-o", "json", "admin", "token", "rotate", "--id", "tok-old"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var got ruqiv1.RotateAccessTokenResponse
	if err := protojson.Unmarshal(out.Bytes(), &got); err != nil || len(got.GetDevicesLeft()) != 1 || len(got.GetSessionsEnded()) != 1 {
		t.Errorf("-o json: %v, %v\n%s", &got, err, out)
	}
}
