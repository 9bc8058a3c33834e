package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var testNow = time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)

func tspb(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// testApp is an app with captured output, the given environment and a
// fixed clock.
func testApp(env map[string]string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
	return newApp(&out, &errOut, lookup, func() time.Time { return testNow }), &out, &errOut
}

// probe runs `ruqi probe ARGS` where probe is a command that does nothing,
// so that only the global flags and their environment fallbacks act.
func probe(t *testing.T, env map[string]string, args ...string) *app {
	t.Helper()
	a, _, errOut := testApp(env)
	root := a.rootCommand()
	root.AddCommand(&cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error { return nil }})
	root.SetArgs(append([]string{"probe"}, args...))
	if _, err := root.ExecuteC(); err != nil {
		t.Fatalf("probe %v: %v (%s)", args, err, errOut)
	}
	return a
}

func TestGlobalFlags_Defaults(t *testing.T) {
	a := probe(t, nil)
	if a.server != defaultServer || a.output != "table" || a.timeout != defaultTimeout || a.token != "" {
		t.Errorf("defaults: server %q output %q timeout %v token %q", a.server, a.output, a.timeout, a.token)
	}
}

func TestGlobalFlags_EnvFallback(t *testing.T) {
	env := map[string]string{
		envServer: "ruqi.example:7400",
		envOutput: "json",
		envToken:  "env-token",
	}
	a := probe(t, env)
	if a.server != "ruqi.example:7400" || a.output != "json" || a.token != "env-token" {
		t.Errorf("from env: server %q output %q token %q", a.server, a.output, a.token)
	}
}

func TestGlobalFlags_FlagBeatsEnv(t *testing.T) {
	env := map[string]string{envServer: "ruqi.example:7400", envOutput: "json"}
	a := probe(t, env, "--server", "10.0.0.1:7400", "-o", "table")
	if a.server != "10.0.0.1:7400" || a.output != "table" {
		t.Errorf("flag should win: server %q output %q", a.server, a.output)
	}
}

func TestGlobalFlags_EmptyEnvIsUnset(t *testing.T) {
	a := probe(t, map[string]string{envServer: ""})
	if a.server != defaultServer {
		t.Errorf("server = %q, want the default", a.server)
	}
}

func TestKeysCacheFlag_EnvFallback(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	a, out, errOut := testApp(map[string]string{envKeysCache: path})
	if code := a.run([]string{"keys", "list", "--cached"}); code != exitError {
		t.Fatalf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(errOut.String(), path) {
		t.Errorf("the error should name the cache from RUQI_KEYS_CACHE %s; got %q %q", path, out, errOut)
	}
}

func TestResolveToken_Precedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("  file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"none", nil, nil, ""},
		{"env token", map[string]string{envToken: "env-token"}, nil, "env-token"},
		{"env file", map[string]string{envTokenFile: file}, nil, "file-token"},
		{"env token beats env file", map[string]string{envToken: "env-token", envTokenFile: file}, nil, "env-token"},
		{"flag file beats env token", map[string]string{envToken: "env-token"}, []string{"--token-file", file}, "file-token"},
		{"flag token beats env file", map[string]string{envTokenFile: file}, []string{"--token", "flag-token"}, "flag-token"},
		{"flag token beats flag file", nil, []string{"--token", "flag-token", "--token-file", file}, "flag-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := probe(t, tt.env, tt.args...)
			got, err := a.resolveToken()
			if err != nil || got != tt.want {
				t.Errorf("resolveToken() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestResolveToken_EmptyFileIsAnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := probe(t, nil, "--token-file", file)
	if _, err := a.resolveToken(); err == nil {
		t.Error("want an error for an empty token file")
	}
}

func TestUsageErrors_ExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"officer", "bogus"},
		{"officer", "show", "--bogus"},
		{"officer", "show"},
		{"officer", "show", "--inspection", "I-1", "extra"},
		{"-o", "yaml", "keys", "list"},
		{"--timeout", "0s", "keys", "list"},
		{"officer", "register", "--enterprise", "91510100MA6123456W"},
		{"admin", "import"},
		{"admin", "token", "issue", "--role", "root", "--subject", "x"},
		{"company", "scan"},
		{"company", "scan", "--offline", "TOKEN"},
		{"company", "scan", "--as", "91510100MA6123456W", "TOKEN"},
		{"company", "refuse", "--inspection", "I-1", "--code", "C", "--reason", "r"},
	} {
		a, _, errOut := testApp(nil)
		if code := a.run(args); code != exitUsage {
			t.Errorf("ruqi %v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
			continue
		}
		if !strings.HasPrefix(errOut.String(), "错误：") {
			t.Errorf("ruqi %v: stderr %q should start with 错误：", args, errOut)
		}
	}
}

func TestUsageErrors_EnvValueInvalid(t *testing.T) {
	a, _, errOut := testApp(map[string]string{envOutput: "xml"})
	if code := a.run([]string{"keys", "list"}); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut.String(), "xml") {
		t.Errorf("stderr %q should name the bad value", errOut)
	}
}

func TestHelp_IsChinese(t *testing.T) {
	a, out, _ := testApp(nil)
	if code := a.run([]string{"officer", "--help"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"用法：", "命令：", "register", "全局参数：", "环境变量 RUQI_SERVER"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"Usage:", "Flags:", "help for"} {
		if strings.Contains(out.String(), unwanted) {
			t.Errorf("help has English %q:\n%s", unwanted, out)
		}
	}
}

// A token file that holds more than the token (a second line, the command's
// other output saved with it) or a --token with a line break was sent as it
// was, and gRPC refused it before any call with an English message labelled
// 服务器内部错误: header key "authorization" contains value with
// non-printable ASCII characters. It is the user's file, said so in Chinese.
func TestResolveToken_NotOneTokenIsAnError(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"two lines":    "rq_first\nrq_second\n",
		"saved output": "--- admin token issue\nrq_first\nrc=0\n",
		"tab":          "rq_first\tx\n",
		"chinese":      "令牌\n",
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			a, _, errOut := testApp(nil)
			code := a.run([]string{"--token-file", file, "--server", "127.0.0.1:1", "officer", "items"})
			msg := errOut.String()
			if code == exitOK || !strings.Contains(msg, "令牌文件 "+file) || !strings.Contains(msg, "一行") || strings.Contains(msg, "header key") {
				t.Errorf("token file %q: exit %d, stderr %q; want an error naming the file, saying a token is one line", content, code, msg)
			}
		})
	}
	a, _, errOut := testApp(nil)
	code := a.run([]string{"--token", "rq_first\nrq_second", "--server", "127.0.0.1:1", "officer", "items"})
	if msg := errOut.String(); code == exitOK || !strings.Contains(msg, "--token") || strings.Contains(msg, "header key") {
		t.Errorf("--token with a line break: exit %d, stderr %q", code, msg)
	}
}

// A token with spaces around it, pasted so into --token or the
// environment, is the token: the server trims them off the header
// ("Bearer  rq_… "), as the CLI does of a token file, and gRPC sends
// spaces. The token-shape check (ff08133) refused it as "第 1 个字符 ' '":
// a valid token that worked until then.
func TestResolveToken_SpacesAroundTheToken_Trimmed(t *testing.T) {
	a := probe(t, nil, "--token", " rq_first ")
	if tok, err := a.resolveToken(); err != nil || tok != "rq_first" {
		t.Errorf("--token ' rq_first ': %q, %v; want rq_first", tok, err)
	}
	a = probe(t, map[string]string{envToken: "rq_first \r\n"})
	if tok, err := a.resolveToken(); err != nil || tok != "rq_first" {
		t.Errorf("%s='rq_first \\r\\n': %q, %v; want rq_first", envToken, tok, err)
	}
}

// logout removes the file whose token it revoked: with RUQI_TOKEN set and
// --token-file on the command line, the file's token is the one used, and
// the file stayed (a review, 2026-12-07). tokenFromFile follows
// resolveToken's order.
func TestTokenFromFile_FollowsResolveToken(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want bool
	}{
		{map[string]string{envToken: "env-token"}, []string{"--token-file", "f"}, true},
		{map[string]string{envTokenFile: "f"}, []string{"--token", "flag-token"}, false},
		{nil, []string{"--token", "t", "--token-file", "f"}, false},
		{map[string]string{envToken: "a", envTokenFile: "f"}, nil, false},
		{map[string]string{envTokenFile: "f"}, nil, true},
		{nil, nil, false},
	} {
		if got := probe(t, c.env, c.args...).tokenFromFile(); got != c.want {
			t.Errorf("env %v args %v: tokenFromFile %t, want %t", c.env, c.args, got, c.want)
		}
	}
}
