package redisconn

import (
	"context"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/testutil/redistest"
)

// What -redis-addr takes, and what the clients are given: host:port as
// before; a URL's user, password, database and TLS as go-redis reads them;
// the password from a file with host:port or a URL without one.
func TestParse_Accepted(t *testing.T) {
	for _, c := range []struct {
		addr, password       string
		addr2, user, pw      string
		db                   int
		tls                  bool
		serverName, shown    string
		hasPassword, withTLS bool
	}{
		{addr: "127.0.0.1:6379", addr2: "127.0.0.1:6379", shown: "127.0.0.1:6379"},
		{addr: "[::1]:6379", addr2: "[::1]:6379", shown: "[::1]:6379"},
		{addr: "redis.prov:6380", password: "fromfile", addr2: "redis.prov:6380", pw: "fromfile", shown: "redis.prov:6380"},
		{addr: "redis://10.0.0.5:6379", addr2: "10.0.0.5:6379", shown: "redis://10.0.0.5:6379"},
		{addr: "redis://:s3cret@10.0.0.5:6379", addr2: "10.0.0.5:6379", pw: "s3cret", shown: "redis://10.0.0.5:6379"},
		{addr: "redis://ruqi:s3cret@10.0.0.5:6379/2", addr2: "10.0.0.5:6379", user: "ruqi", pw: "s3cret", db: 2, shown: "redis://ruqi@10.0.0.5:6379/2"},
		{addr: "redis://ruqi@10.0.0.5:6379", password: "fromfile", addr2: "10.0.0.5:6379", user: "ruqi", pw: "fromfile", shown: "redis://ruqi@10.0.0.5:6379"},
		{addr: "redis://:p%40ss%3Aw%2Fd@10.0.0.5:6379", addr2: "10.0.0.5:6379", pw: "p@ss:w/d", shown: "redis://10.0.0.5:6379"},
		{addr: "REDIS://10.0.0.5:6379", addr2: "10.0.0.5:6379", shown: "redis://10.0.0.5:6379"},
		{addr: "redis://10.0.0.5", addr2: "10.0.0.5:6379", shown: "redis://10.0.0.5:6379"},
		{addr: "rediss://:s3cret@r-abc.redis.example.com:6380", addr2: "r-abc.redis.example.com:6380", pw: "s3cret", tls: true, serverName: "r-abc.redis.example.com", shown: "rediss://r-abc.redis.example.com:6380"},
	} {
		target, err := Parse(c.addr, c.password)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.addr, err)
			continue
		}
		o := target.Options()
		if o.Addr != c.addr2 || o.Username != c.user || o.Password != c.pw || o.DB != c.db || (o.TLSConfig != nil) != c.tls {
			t.Errorf("Parse(%q) = addr %q user %q password %q db %d TLS %v", c.addr, o.Addr, o.Username, o.Password, o.DB, o.TLSConfig != nil)
		}
		if c.tls && o.TLSConfig.ServerName != c.serverName {
			t.Errorf("Parse(%q): TLS checks the name %q, want %q", c.addr, o.TLSConfig.ServerName, c.serverName)
		}
		if target.String() != c.shown || target.HasPassword() != (c.pw != "") || target.TLS() != c.tls {
			t.Errorf("Parse(%q): shown %q (password %v, TLS %v), want %q", c.addr, target, target.HasPassword(), target.TLS(), c.shown)
		}
		// Each client gets a copy: one's timeouts are not another's.
		o.ReadTimeout = 1
		if target.Options().ReadTimeout != 0 {
			t.Errorf("Parse(%q): Options is not a copy", c.addr)
		}
	}
}

// Anything else is refused, saying what to give and never repeating the
// password.
func TestParse_Refused(t *testing.T) {
	for _, c := range []struct{ addr, password string }{
		{"localhost", ""},
		{"127.0.0.1:redis", ""},
		{"default:s3cret@127.0.0.1:6379", ""}, // a URL without its scheme
		{":s3cret@127.0.0.1:6379", ""},
		{"http://:s3cret@127.0.0.1:6379", ""},
		{"unix://:s3cret@/run/redis.sock", ""},
		{"redis://:s3cret@127.0.0.1:6379?dial_timeout=1s", ""},
		{"redis://:s3cret@127.0.0.1:6379?", ""},
		{"redis://:s3cret@:6379", ""},
		{"redis://:s3cret@127.0.0.1:99999", ""},
		{"redis://:s3cret@127.0.0.1:6379/x", ""},
		{"redis://:s3cret@127.0.0.1:6379/1/2", ""},
		{"redis://:s3c#ret@127.0.0.1:6379", ""}, // # not %-encoded
		{"redis://:s3c ret@127.0.0.1:6379", ""},
		{"redis://:s3cret@127.0.0.1:6379", "0therPW"}, // two passwords
	} {
		_, err := Parse(c.addr, c.password)
		if err == nil {
			t.Errorf("Parse(%q) accepted", c.addr)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "-redis-addr") || !(strings.Contains(msg, "redis://") || strings.Contains(msg, "-redis-password-file")) {
			t.Errorf("Parse(%q): %v, want it to name the flag and say what to give", c.addr, err)
		}
		for _, secret := range []string{"s3cret", "s3c#ret", "s3c ret", "0therPW"} {
			if strings.Contains(msg, secret) {
				t.Errorf("Parse(%q): %v repeats the password", c.addr, err)
			}
		}
	}
}

// Against a real redis-server with requirepass: the URL's password, or the
// file's, logs in; none, a wrong one or a wrong user is refused, and
// Refusal says which in words, without the password.
func TestRefusal_RealRedis(t *testing.T) {
	rs := redistest.Start(t, redistest.WithPassword("s3cretPW"))
	ping := func(addr, password string) (Target, error) {
		t.Helper()
		target, err := Parse(addr, password)
		if err != nil {
			t.Fatal(err)
		}
		c := goredis.NewClient(target.Options())
		defer c.Close()
		return target, c.Ping(context.Background()).Err()
	}
	for _, ok := range []struct{ addr, password string }{{rs.URL(), ""}, {rs.Addr(), "s3cretPW"}, {"redis://default:s3cretPW@" + rs.Addr(), ""}} {
		if target, err := ping(ok.addr, ok.password); err != nil || target.Refusal(err) != nil {
			t.Errorf("%s: %v", target, err)
		}
	}
	for _, c := range []struct{ addr, password, want string }{
		{rs.Addr(), "", "requires a password and none was given"},
		{"redis://" + rs.Addr(), "", "requires a password and none was given"},
		{rs.Addr(), "wrongPW", "the password (or user) is wrong"},
		{"redis://:wrongPW@" + rs.Addr(), "", "the password (or user) is wrong"},
		{"redis://nobody:s3cretPW@" + rs.Addr(), "", "the password (or user) is wrong"},
	} {
		target, err := ping(c.addr, c.password)
		refusal := target.Refusal(err)
		if refusal == nil || !strings.Contains(refusal.Error(), c.want) || !strings.Contains(refusal.Error(), rs.Addr()) {
			t.Errorf("%s: %v, refusal %v, want %q", target, err, refusal, c.want)
			continue
		}
		if strings.Contains(refusal.Error(), "wrongPW") || strings.Contains(refusal.Error(), "s3cretPW") {
			t.Errorf("%s: %v repeats the password", target, refusal)
		}
	}
	// An error that is no login refused is not explained as one.
	if target, _ := Parse(rs.Addr(), ""); target.Refusal(context.DeadlineExceeded) != nil || target.Refusal(nil) != nil {
		t.Errorf("Refusal explains an error that is no refusal")
	}
}
