package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// redisPassword is what the tests' Redis requires; no log line may hold it.
const redisPassword = "s3cretRedisPW42"

// A Redis that requires a password, as managed Redis does, is reached
// through a redis:// URL that holds it (an operator's trial: the URL
// stopped the start, "want host:port", and host:port alone started a
// server whose every registration answered COORDINATOR_UNAVAILABLE).
func TestRedis_PasswordInTheURL_CoordinatesAndLimits(t *testing.T) {
	rs := redistest.Start(t, redistest.WithPassword(redisPassword))
	w := newWorld(t, "-redis-addr", rs.URL(), "-principal-rates", "enterprise=6/min:3")
	wantAuthenticatedRedisUsed(t, w, rs)
}

// The password may come from a file instead, so that it is on no command
// line (ps) and in no environment; -redis-addr stays host:port.
func TestRedis_PasswordFromAFile_CoordinatesAndLimits(t *testing.T) {
	rs := redistest.Start(t, redistest.WithPassword(redisPassword))
	file := filepath.Join(t.TempDir(), "redis.password")
	if err := os.WriteFile(file, []byte(redisPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, "-redis-addr", rs.Addr(), "-redis-password-file", file, "-principal-rates", "enterprise=6/min:3")
	wantAuthenticatedRedisUsed(t, w, rs)
}

// wantAuthenticatedRedisUsed checks that w's server decides registrations
// and counts rates in rs (its keys are there, not in process), and that
// its log never holds the password.
func wantAuthenticatedRedisUsed(t *testing.T, w *world, rs *redistest.Server) {
	t.Helper()
	now := time.Now()
	if _, err := w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], now, now.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
		t.Fatalf("registration through a Redis with a password: %v\n%s", err, w.log)
	}
	_, err := w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], now, now.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	wantStatus(t, err, codes.AlreadyExists, "DUPLICATE_PLAN")
	for i := range 3 {
		if err := scanOnce(w.server, w.entB, "not a code"); status.Code(err) == codes.ResourceExhausted {
			t.Fatalf("call %d of a burst of 3: %v", i+1, err)
		}
	}
	wantStatus(t, scanOnce(w.server, w.entB, "not a code"), codes.ResourceExhausted, "RATE_LIMITED")

	raw := goredis.NewClient(&goredis.Options{Addr: rs.Addr(), Password: rs.Password()})
	defer raw.Close()
	for _, pattern := range []string{"ruqi:{" + w.f.entA + "}:*", "ruqi:rate:*"} {
		keys, err := raw.Keys(context.Background(), pattern).Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("Redis holds no %s keys (%v): the server did not use it", pattern, err)
		}
	}
	if strings.Contains(w.log.String(), rs.Password()) {
		t.Fatalf("the server's log holds Redis's password:\n%s", w.log)
	}
	if !strings.Contains(w.log.String(), "Redis coordinator") || strings.Contains(w.log.String(), "not reachable") {
		t.Fatalf("the log does not say the Redis coordinator answered:\n%s", w.log)
	}
}

// A Redis that refuses the server (no password given, a wrong one) stops
// the start, saying which: it is a configuration error, like a malformed
// -redis-addr, not an outage to wait out. Before, the server reported
// ready, logged NOAUTH and answered every registration
// COORDINATOR_UNAVAILABLE. No message repeats the wrong password.
func TestRedis_NoOrWrongPassword_RefusesToStart(t *testing.T) {
	rs := redistest.Start(t, redistest.WithPassword(redisPassword))
	wrongFile := filepath.Join(t.TempDir(), "redis.password")
	if err := os.WriteFile(wrongFile, []byte("wrongPW77\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"none", []string{"-redis-addr", rs.Addr()}, "requires a password and none was given"},
		{"none in the URL", []string{"-redis-addr", "redis://" + rs.Addr()}, "requires a password and none was given"},
		{"wrong in the URL", []string{"-redis-addr", "redis://:wrongPW77@" + rs.Addr()}, "password (or user) is wrong"},
		{"wrong user", []string{"-redis-addr", "redis://nobody:" + redisPassword + "@" + rs.Addr()}, "password (or user) is wrong"},
		{"wrong in the file", []string{"-redis-addr", rs.Addr(), "-redis-password-file", wrongFile}, "password (or user) is wrong"},
	} {
		log := runServerExpectingFailure(t, t.TempDir(), c.args...)
		if !strings.Contains(log, c.want) || !strings.Contains(log, rs.Addr()) {
			t.Errorf("%s: the start's message does not say %q of the Redis at %s:\n%s", c.name, c.want, rs.Addr(), log)
		}
		if strings.Contains(log, "wrongPW77") || strings.Contains(log, redisPassword) {
			t.Errorf("%s: the log holds a password:\n%s", c.name, log)
		}
	}
}

// A -redis-addr that is neither host:port nor a redis:// or rediss:// URL
// stops the start, and the message does not repeat a password it holds.
func TestRedis_MalformedAddrWithPassword_RefusedWithoutEchoingIt(t *testing.T) {
	for _, addr := range []string{
		"default:" + redisPassword + "@127.0.0.1:6379", // a URL without its scheme
		"http://:" + redisPassword + "@127.0.0.1:6379",
		"redis://:" + redisPassword + "@127.0.0.1:6379?dial_timeout=1s",
	} {
		log := runServerExpectingFailure(t, t.TempDir(), "-redis-addr", addr)
		if !strings.Contains(log, "-redis-addr") || !strings.Contains(log, "redis://") {
			t.Errorf("-redis-addr %s: the message does not say what to give:\n%s", addr, log)
		}
		if strings.Contains(log, redisPassword) {
			t.Errorf("-redis-addr %s: the message holds the password:\n%s", addr, log)
		}
	}
}

// A Redis that speaks TLS with a certificate from the province's own CA
// (rediss://, -redis-ca-file) coordinates and limits as any other. Before
// -redis-ca-file the system's roots were the only ones: such a Redis could
// not be used at all, except by replacing the roots of the whole process
// (SSL_CERT_FILE), the identity provider's among them.
func TestRedis_TLSWithTheProvincesCA_CoordinatesAndLimits(t *testing.T) {
	rs := redistest.Start(t, redistest.WithPassword(redisPassword), redistest.WithTLS())
	w := newWorld(t, "-redis-addr", rs.TLSURL(), "-redis-ca-file", rs.CAFile(), "-principal-rates", "enterprise=6/min:3")
	wantAuthenticatedRedisUsed(t, w, rs)
	if !strings.Contains(w.log.String(), "tls=true") {
		t.Fatalf("the log does not say the coordinator speaks TLS:\n%s", w.log)
	}
}

// A TLS Redis whose certificate the server cannot check (no -redis-ca-file,
// so the system's roots) stops the start naming what to give: it does not
// mend itself by waiting. Before, the server started, logged the
// handshake's failure and answered every registration
// COORDINATOR_UNAVAILABLE. -redis-ca-file beside a plain address, or
// holding no certificate, is refused as well. (A rediss:// address on
// Redis's plain port is not: Redis waits for the rest of a line that never
// comes, and the handshake times out as in an outage.)
func TestRedis_TLSNotTrusted_RefusesToStart(t *testing.T) {
	rs := redistest.Start(t, redistest.WithPassword(redisPassword), redistest.WithTLS())
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"the system's roots", []string{"-redis-addr", rs.TLSURL()}, "TLS certificate is not trusted"},
		{"a CA for a plain address", []string{"-redis-addr", rs.URL(), "-redis-ca-file", rs.CAFile()}, "does not speak TLS"},
		{"a file of no certificate", []string{"-redis-addr", rs.TLSURL(), "-redis-ca-file", notPEM}, "holds no PEM certificate"},
	} {
		log := runServerExpectingFailure(t, t.TempDir(), c.args...)
		if !strings.Contains(log, c.want) {
			t.Errorf("%s: the start's message does not say %q:\n%s", c.name, c.want, log)
		}
		if strings.Contains(log, redisPassword) {
			t.Errorf("%s: the log holds the password:\n%s", c.name, log)
		}
	}
}
