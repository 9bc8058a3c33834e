package identity

import (
	"context"
	"testing"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/testutil/oidctest"
)

// An issuer mistyped in -oidc-config ("…/" for "…") read "暂时无法连接…请稍后
// 重试", as a provider down does, and nothing was logged (a trial of
// sign-in, 2026-12-07): it is said as the configuration's.
func TestProvider_IssuerNotTheProvidersOwn_SaidAsConfiguration(t *testing.T) {
	idp := oidctest.Start(t)
	p := New(Config{Issuer: idp.Issuer + "/", ClientID: "ruqi-web", Claims: ClaimMap{EnterpriseUSCC: "uscc"}})
	_, err := p.OAuth2(context.Background(), "ruqi-web", "s", "http://127.0.0.1/cb")
	if domain.ReasonOf(err) != "IDP_MISCONFIGURED" {
		t.Errorf("an issuer with a slash the provider's lacks: %v, want IDP_MISCONFIGURED", err)
	}
	good := New(Config{Issuer: idp.Issuer, ClientID: "ruqi-web", Claims: ClaimMap{EnterpriseUSCC: "uscc"}})
	if _, err := good.OAuth2(context.Background(), "ruqi-web", "s", "http://127.0.0.1/cb"); err != nil {
		t.Errorf("the provider's own issuer: %v", err)
	}
}
