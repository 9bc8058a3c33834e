package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/store"
)

// A call refused at sign-in because PostgreSQL could not be reached did
// nothing: the server answered, before any handler. The CLI told an officer
// whose registration was so refused "报备可能已经生效…--request-id…", and
// anyone else "请确认服务器…已启动且可以连通" (an operator's trial,
// 2026-12-06: the server was up, the database down).
func TestTokenCheckUnavailable_NoRetryHintNorServerDownAdvice(t *testing.T) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer rq_x"))
	_, err := auth.Authenticate(ctx, func(context.Context, []byte) (*store.AccessToken, error) {
		return nil, fmt.Errorf("%w: PostgreSQL at 127.0.0.1:5432/ruqi: connection refused", store.ErrUnavailable)
	})
	if err == nil {
		t.Fatal("a token checked against an unreachable database was accepted")
	}
	if mayHaveSucceeded(err) {
		t.Error("a call refused at sign-in may have taken effect, says the CLI: it did nothing")
	}
	var out bytes.Buffer
	a := &app{server: "127.0.0.1:7400", timeout: 10 * time.Second}
	a.printErrorTo(&out, err)
	got := out.String()
	if strings.Contains(got, "已启动且可以连通") {
		t.Errorf("the server answered, yet the CLI asks whether it was started:\n%s", got)
	}
	if !strings.Contains(got, "数据库") || !strings.Contains(got, "未执行") {
		t.Errorf("the error should name the database and say nothing was done:\n%s", got)
	}
}
