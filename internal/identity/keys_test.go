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
