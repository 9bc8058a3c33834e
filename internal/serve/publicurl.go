package serve

import (
	"fmt"
	"net"
	"net/netip"
)

// checkPublicURL refuses a start whose codes would carry a URL no phone can
// open. Without -public-url the URL is derived from the HTTP listener's
// address, which for a listener on every interface (0.0.0.0, ::, no host:
// behind a load balancer) is no address at all: an operator's trial
// (2026-12-06) put HTTP://[::]:PORT/V/… in every QR and named the Merkle
// log [::]:PORT/log, a name it keeps for good.
func checkPublicURL(cfg Config) error {
	if cfg.PublicURL != "" {
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
