// Package redisconn reads where the Redis that replicas share is and how
// to log in to it (-redis-addr, -redis-password-file), once, for every
// client the server makes there: the coordinator's and the rate limiter's
// reach the same Redis as the same user, and no message shows the password.
package redisconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Target is a Redis to dial: its address, user, password, database and
// TLS. Its String never holds the password.
type Target struct {
	opts  goredis.Options
	shown string
}

// urlHelp says what -redis-addr takes; every refusal repeats it.
const urlHelp = "want host:port, e.g. 127.0.0.1:6379, or a URL redis://[[user]:password@]host:port[/db] (rediss:// for TLS)"

// Parse reads addr: host:port, or a redis:// or rediss:// URL (read by
// go-redis's ParseURL: user, password, database, TLS with the host's name
// checked against the system's roots). password, when not empty, is the
// password read from -redis-password-file; a URL holding one as well is
// refused, as two passwords would leave one unused without a word.
//
// Query parameters are refused: ParseURL would take timeouts and pool
// sizes from them, which the server sets itself for each client (the
// coordinator waits about a second, the rate limiter 250 ms), so they
// would be silently overridden. A unix:// socket is refused too: replicas
// on several hosts share Redis over the network.
func Parse(addr, password string) (Target, error) {
	if !strings.Contains(addr, "://") {
		return parseHostPort(addr, password)
	}
	scheme, _, _ := strings.Cut(addr, "://")
	shown := Redact(addr)
	switch strings.ToLower(scheme) {
	case "redis", "rediss":
	default:
		return Target{}, fmt.Errorf("-redis-addr %s: a URL of scheme %q: %s", shown, scheme, urlHelp)
	}
	u, err := url.Parse(addr)
	if err != nil {
		// url.Error repeats the whole URL, password and all: keep its
		// reason only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		// Its reason may repeat part of the password too: an unencoded
		// / ? or # ends the host early, and the rest of the password was
		// quoted as an "invalid port" (a review).
		if strings.Contains(addr, "@") {
			err = errors.New("not a URL that can be read")
		}
		return Target{}, fmt.Errorf("-redis-addr %s: %v: %s; characters such as @ : / # ? %% in a password are written %%-encoded in a URL, or give it in -redis-password-file", shown, err, urlHelp)
	}
	u.Scheme = strings.ToLower(u.Scheme) // ParseURL takes lower case only
	switch {
	case u.RawQuery != "" || u.ForceQuery:
		return Target{}, fmt.Errorf("-redis-addr %s: query parameters are not taken (the server sets its own timeouts): %s", shown, urlHelp)
	case u.Fragment != "":
		return Target{}, fmt.Errorf("-redis-addr %s: a fragment (#…) in the URL; a # in a password is written %%23: %s", shown, urlHelp)
	case u.Hostname() == "":
		return Target{}, fmt.Errorf("-redis-addr %s: no host: %s", shown, urlHelp)
	}
	if p := u.Port(); p != "" {
		if err := checkPort(p); err != nil {
			return Target{}, fmt.Errorf("-redis-addr %s: %v: %s", shown, err, urlHelp)
		}
	}
	o, err := goredis.ParseURL(u.String())
	if err != nil {
		if u.User == nil && strings.Contains(addr, "@") || strings.Contains(u.Path, "@") {
			// An unencoded / in the password put the rest of it in
			// the path, which ParseURL's reason quotes as a database.
			err = errors.New("not a URL that can be read; characters such as @ : / # ? % in a password are written %-encoded")
		}
		return Target{}, fmt.Errorf("-redis-addr %s: %v: %s", shown, err, urlHelp)
	}
	if password != "" {
		if o.Password != "" {
			return Target{}, fmt.Errorf("-redis-addr %s holds a password and -redis-password-file gives one too: give it in one place", shown)
		}
		o.Password = password
	}
	t := Target{opts: *o}
	// What logs show: scheme, user, host:port and database, as parsed.
	t.shown = u.Scheme + "://"
	if o.Username != "" {
		t.shown += url.User(o.Username).String() + "@"
	}
	t.shown += o.Addr
	if o.DB != 0 {
		t.shown += "/" + strconv.Itoa(o.DB)
	}
	return t, nil
}

func parseHostPort(addr, password string) (Target, error) {
	if strings.Contains(addr, "@") {
		// A user and password without the URL's scheme (default:pw@host:port).
		return Target{}, fmt.Errorf("-redis-addr %s: a password is given in a URL, redis://[user]:password@host:port, or in -redis-password-file: %s", Redact(addr), urlHelp)
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		if perr := checkPort(port); perr != nil {
			err = perr
		} else if host == "" {
			err = errors.New("no host")
		}
	}
	if err != nil {
		return Target{}, fmt.Errorf("-redis-addr %q: %s: %w", addr, urlHelp, err)
	}
	return Target{opts: goredis.Options{Addr: addr, Password: password}, shown: addr}, nil
}

func checkPort(port string) error {
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}

// Redact is s with what may be a password (before the last @) left out,
// for messages about a value that could not be read.
func Redact(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	if i := strings.Index(s, "://"); i >= 0 && i < at {
		return s[:i+3] + "…@" + s[at+1:]
	}
	return "…@" + s[at+1:]
}

// String is the target for logs: scheme, user, host:port and database;
// never the password.
func (t Target) String() string { return t.shown }

// HasPassword says whether the server logs in with a password.
func (t Target) HasPassword() bool { return t.opts.Password != "" }

// TLS says whether connections use TLS (rediss://).
func (t Target) TLS() bool { return t.opts.TLSConfig != nil }

// WithRootCAs is the target checking Redis's TLS certificate against
// roots (-redis-ca-file) instead of the system's: a province's Redis on
// another host has a certificate from the province's own CA, which no
// system trusts. Only a rediss:// target speaks TLS.
func (t Target) WithRootCAs(roots *x509.CertPool) (Target, error) {
	if !t.TLS() {
		return Target{}, fmt.Errorf("-redis-ca-file with -redis-addr %s, which does not speak TLS: write the address as rediss://host:port, or leave -redis-ca-file out", t)
	}
	t.opts.TLSConfig = t.opts.TLSConfig.Clone()
	t.opts.TLSConfig.RootCAs = roots
	return t, nil
}

// Options are go-redis options for the target, a copy the caller adds its
// timeouts to.
func (t Target) Options() *goredis.Options {
	o := t.opts
	if o.TLSConfig != nil {
		o.TLSConfig = o.TLSConfig.Clone()
	}
	return &o
}

// Refusal explains an error by which Redis refused the server's login
// (NOAUTH: no password was given and Redis requires one; WRONGPASS: the
// password or user is wrong), for a message an operator acts on; nil for
// any other error. Such a Redis answers every command so, until the
// configuration changes: a server that started on it would be ready and
// register nothing.
//
// A TLS handshake that fails on the certificate, or a server that answers
// it with what is not TLS, is the configuration too: it fails the same way
// every time.
func (t Target) Refusal(err error) error {
	if err == nil {
		return nil
	}
	var unverified *tls.CertificateVerificationError
	var plain tls.RecordHeaderError
	switch {
	case errors.As(err, &unverified):
		return fmt.Errorf("-redis-addr %s: Redis's TLS certificate is not trusted (%v): give the CA that signed it in -redis-ca-file, and check that the host in the address is one the certificate names", t, unverified.Err)
	case errors.As(err, &plain):
		return fmt.Errorf("-redis-addr %s: Redis does not speak TLS on this port: write the address as redis:// for a Redis without TLS, or give its tls-port", t)
	case !goredis.IsAuthError(err):
		return nil
	}
	// Redis's own words, without the layers of the caller's wrapping.
	said := err.Error()
	var re goredis.Error
	if errors.As(err, &re) {
		said = re.Error()
	}
	if !t.HasPassword() && strings.HasPrefix(said, "NOAUTH") {
		return fmt.Errorf("-redis-addr %s: this Redis requires a password and none was given: put it in -redis-password-file, or in the URL, redis://:PASSWORD@host:port (Redis said: %s)", t, said)
	}
	return fmt.Errorf("-redis-addr %s: this Redis refuses the server's login: the password (or user) is wrong; check -redis-password-file, or the URL's user and password, against Redis's requirepass or ACL (Redis said: %s)", t, said)
}
