// Package web serves ruqi over HTTP: the public keys as JSON for offline
// verification, and health. The verify page and the 司法局 dashboard come
// with issue 5.
package web

import (
	"encoding/json"
	"net/http"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// KeySource lists the public keys a verifier needs now.
type KeySource func() []*ruqiv1.PublicKey

// jsonKey is the published form of a key: a JWK-like object (RFC 8037 OKP)
// so that ordinary JOSE/COSE tooling can read it.
type jsonKey struct {
	KeyID       string     `json:"kid"`
	KeyType     string     `json:"kty"`
	Curve       string     `json:"crv"`
	X           []byte     `json:"x"` // base64 (std) of the raw Ed25519 public key
	Algorithm   string     `json:"alg"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	VerifyUntil *time.Time `json:"verify_until,omitempty"`
}

// Handler returns the HTTP handler.
func Handler(keys KeySource) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /keys.json", func(w http.ResponseWriter, r *http.Request) {
		var out struct {
			Keys []jsonKey `json:"keys"`
		}
		for _, k := range keys() {
			jk := jsonKey{KeyID: k.GetKeyId(), KeyType: "OKP", Curve: "Ed25519", X: k.GetPublicKey(), Algorithm: k.GetAlgorithm(),
				Status: k.GetStatus().String(), CreatedAt: k.GetCreatedAt().AsTime()}
			if k.GetRetiredAt() != nil {
				t := k.GetRetiredAt().AsTime()
				jk.RetiredAt = &t
			}
			if k.GetVerifyUntil() != nil {
				t := k.GetVerifyUntil().AsTime()
				jk.VerifyUntil = &t
			}
			out.Keys = append(out.Keys, jk)
		}
		w.Header().Set("Content-Type", "application/json")
		// Short caching: a rotation must reach verifiers soon.
		w.Header().Set("Cache-Control", "public, max-age=300")
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	return mux
}
