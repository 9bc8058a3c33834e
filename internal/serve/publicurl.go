package serve

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
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
		u, err := url.Parse(cfg.PublicURL)
		if err != nil {
			return nil
		}
		if u.Path != "" && u.Path != "/" {
			return fmt.Errorf("-public-url %s: has a path (%s), but ruqi is served at a host's root "+
				"(the QR holds the URL in upper case, and no page is served under a prefix): "+
				"give the host alone, e.g. https://ruqi.example.gov.cn, and have it proxied to the root", cfg.PublicURL, u.Path)
		}
		return nil
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
