package serve

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// checkPublicURL refuses a start whose codes would carry a URL no phone can
// open. Without -public-url the URL is derived from the HTTP listener's
// address, which for a listener on every interface (0.0.0.0, ::, no host:
// behind a load balancer) is no address at all: an operator's trial
// (2026-12-06) put HTTP://[::]:PORT/V/… in every QR and named the Merkle
// log [::]:PORT/log, a name it keeps for good.
//
// A given -public-url must be served at its host's root: the QR holds the
// whole URL in upper case (alphanumeric mode, a smaller code), so
// https://host/ruqi became HTTPS://HOST/RUQI/V/…, which no route matched,
// and the pages, their cookies and the sign-in's callback are served at the
// root anyway. Serving under a prefix would mean matching it without regard
// to case in every route, cookie path and redirect; a host of its own costs
// a DNS name.
func checkPublicURL(cfg Config) error {
	if cfg.PublicURL != "" {
		return checkGivenPublicURL(cfg.PublicURL)
	}
	host, _, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return nil // the listener says what is wrong with it
	}
	if a, perr := netip.ParseAddr(host); host == "" || (perr == nil && a.IsUnspecified()) {
		return fmt.Errorf("-http-addr %s listens on every interface, so the URL in each code cannot be derived from it: "+
			"set -public-url to the address phones open, e.g. https://ruqi.example.gov.cn "+
			"(and -log-origin to name a new log, default <public host>/log)", cfg.HTTPAddr)
	}
	return nil
}

// checkGivenPublicURL refuses a -public-url that cannot be the base of a
// code's URL, with the reason: one without a scheme (ruqi.example.gov.cn)
// failed as "cannot derive the log origin", and following the advice to set
// -log-origin gave codes phones do not open (an operator's trial,
// 2026-12-06).
func checkGivenPublicURL(raw string) error {
	refuse := func(shown, why string) error {
		return fmt.Errorf("-public-url %s: %s; give the address phones open, e.g. https://ruqi.example.gov.cn", shown, why)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return refuse(fmt.Sprintf("%q", raw), "not a URL")
	}
	shown := u.Redacted() // never a password in the log
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return refuse(shown, "a code's URL starts with http:// or https://, or phones do not open it")
	case u.User != nil:
		return refuse(shown, "holds a user name or password, which would be printed in every code")
	case u.Host == "" || u.Hostname() == "":
		return refuse(shown, "no host")
	case u.RawQuery != "" || u.ForceQuery:
		return refuse(shown, "has a query (?…), which a code's URL cannot carry")
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return refuse(shown, "has a fragment (#…), which a code's URL cannot carry")
	case u.Path != "" && u.Path != "/":
		return refuse(shown, fmt.Sprintf("has a path (%s), but ruqi is served at a host's root "+
			"(the QR holds the URL in upper case, and no page is served under a prefix): "+
			"give the host alone and have it proxied to the root", u.Path))
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && a.IsUnspecified() {
		return refuse(shown, "its host means every interface, not an address")
	}
	return nil
}
