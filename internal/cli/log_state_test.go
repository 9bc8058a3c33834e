package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by an operator's trial (2026-12-06): `ruqi log verify` kept one
// checkpoint for every server, so checking a second deployment (staging
// beside the province) after the first exited 3, "上次保存的检查点 … 不成立",
// which reads as tampering. Each log's checkpoint is kept apart by its
// name; one an older version kept in its single file is still read for
// its own log.
func TestLogVerify_EachLogItsOwnState(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	type served struct{ vkey, note string }
	logOf := func(origin string, size uint64) served {
		skey, vkey, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := tlog.New(skey)
		h := sha256.Sum256([]byte(origin))
		n, err := l.Sign(size, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return served{vkey, string(n)}
	}
	run := func(s served) (int, string) {
		lis := bufconn.Listen(1 << 20)
		srv := grpc.NewServer()
		ruqiv1.RegisterLogServiceServer(srv, &rollbackLog{size: 5, note: []byte(s.note)})
		go srv.Serve(lis)
		defer srv.Stop()
		a, out, errOut := testApp(nil)
		a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
		code := a.run([]string{"--server", "passthrough:///bufnet", "log", "verify", "--log-key", s.vkey})
		return code, out.String() + errOut.String()
	}
	province, staging := logOf("ruqi.province/log", 5), logOf("ruqi.staging/log", 5)
	// What the version before kept: the province's checkpoint, in its one file.
	if err := os.MkdirAll(filepath.Dir(legacyCheckpointState()), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(legacyCheckpointState(), []byte(province.note), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		log  served
		want string
	}{
		{province, "规模仍为 5"}, // read from the older version's file
		{staging, "首次核对"},
		{province, "规模仍为 5"},
		{staging, "规模仍为 5"},
	} {
		if code, out := run(c.log); code != exitOK || !strings.Contains(out, c.want) {
			t.Errorf("check %d: exit %d, want %d and %q:\n%s", i+1, code, exitOK, c.want, out)
		}
	}
}
