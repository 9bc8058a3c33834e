package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
)

// fakeIssuer serves a discovery document and a key set, and counts the
// key set's fetches.
func fakeIssuer(t *testing.T) (issuer string, fetches *atomic.Int64) {
	fetches = new(atomic.Int64)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Write([]byte(`{"keys":[]}`))
	})
	return srv.URL, fetches
}

// forged is an ID token that names the issuer and ruqi's client, is not
// expired, and is signed by nobody: a key id no key set holds.
func forged(issuer string, i int) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(fmt.Sprintf(`{"alg":"RS256","kid":"k%d"}`, i)))
	body := enc([]byte(fmt.Sprintf(`{"iss":%q,"aud":"ruqi","sub":"x","exp":%d,"nonce":"n"}`, issuer, time.Now().Add(time.Hour).Unix())))
	return head + "." + body + "." + enc([]byte("not a signature"))
}

// SignIn is a public call: anyone may send an ID token. One that names the
// provider and an unknown key made go-oidc fetch the provider's key set
// again, every time: whoever sent forged tokens in a loop had the server
// fetch the province's key set back to back (a review of the sign-in,
// 2026-12-06). It is fetched again at most once per keyRefetchEvery.
func TestVerify_ForgedTokens_DoNotFetchTheKeysEachTime(t *testing.T) {
	issuer, fetches := fakeIssuer(t)
	p := New(Config{Issuer: issuer, ClientID: "ruqi", Claims: ClaimMap{EnterpriseUSCC: "uscc"}})
	p.now = func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) } // no time passes
	for i := range 20 {
		if _, err := p.Verify(context.Background(), forged(issuer, i), "n"); err == nil {
			t.Fatal("a forged token verified")
		}
	}
	if n := fetches.Load(); n > 1 {
		t.Fatalf("20 forged tokens fetched the key set %d times, want at most 1", n)
	}
}

// A provider whose key set cannot be fetched (503) is unavailable, not a
// token tampered with: go-oidc words every key set error "failed to verify
// signature: …", and refusal matched "signature" before "fetching keys",
// so a citizen signing in while the province's key endpoint was down was
// told 身份令牌的签名无效（令牌被篡改…）; and for the 30 s after a failed
// fetch, without trying again, the same.
func TestVerify_KeySetUnavailable_IsUnavailable(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	p := New(Config{Issuer: srv.URL, ClientID: "ruqi", Claims: ClaimMap{EnterpriseUSCC: "uscc"}})
	p.now = func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }
	for i := range 2 { // the fetch, then within the 30 s
		_, err := p.Verify(context.Background(), forged(srv.URL, i), "n")
		if got := domain.ReasonOf(err); got != "IDP_UNAVAILABLE" {
			t.Errorf("token %d with the key set unavailable: %v (%s), want IDP_UNAVAILABLE", i+1, err, got)
		}
	}
}
