package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keyRefetchEvery is how soon after one fetch of the provider's key set
// another may be made. SignIn is a public call, and go-oidc's own key set
// fetches the keys again for every token its cached keys do not verify:
// forged tokens naming the provider, sent in a loop, had the server fetch
// the province's key set back to back (a review of the sign-in,
// 2026-12-06). A token signed with a key the provider has just added
// waits at most this long.
const keyRefetchEvery = 30 * time.Second

// maxKeySet bounds the key set document read from the provider.
const maxKeySet = 1 << 20

// keySet is the provider's signing keys (oidc.KeySet), fetched from its
// jwks_uri when a token names a key not held, at most once per
// keyRefetchEvery.
type keySet struct {
	uri string
	now func() time.Time

	fetch   sync.Mutex // one fetch at a time
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time // of the last fetch, successful or not; zero before the first
	// failed is the last fetch's error, nil if it succeeded: a token the
	// keys held do not verify until the next fetch is allowed is refused
	// with it (the provider is unavailable, not the token forged).
	failed error
}

// signingAlgs are the algorithms go-oidc supports.
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("oidc: malformed jwt: %v", err)
	}
	k.mu.Lock()
	keys, last := k.keys, k.fetched
	k.mu.Unlock()
	if p, ok := verifyWith(jws, keys); ok {
		return p, nil
	}
	k.fetch.Lock()
	defer k.fetch.Unlock()
	k.mu.Lock()
	keys, fetched, failed := k.keys, k.fetched, k.failed
	k.mu.Unlock()
	if fetched != last {
		// Another call fetched while this one waited: its keys may do.
		if p, ok := verifyWith(jws, keys); ok {
			return p, nil
		}
	}
	if !fetched.IsZero() && k.now().Sub(fetched) < keyRefetchEvery {
		if failed != nil {
			return nil, failed
		}
		return nil, errors.New("failed to verify id token signature")
	}
	keys, err = k.get(ctx)
	k.mu.Lock()
	k.fetched = k.now()
	if err == nil {
		k.keys = keys
	}
	k.failed = nil
	if err != nil {
		k.failed = fmt.Errorf("fetching keys %w", err)
	}
	failed = k.failed
	k.mu.Unlock()
	if failed != nil {
		return nil, failed
	}
	if p, ok := verifyWith(jws, keys); ok {
		return p, nil
	}
	return nil, errors.New("failed to verify id token signature")
}

// verifyWith verifies jws with the key it names, or with any when it names
// none.
func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey) ([]byte, bool) {
	kid := ""
	for _, sig := range jws.Signatures {
		kid = sig.Header.KeyID
		break
	}
	for _, key := range keys {
		if kid == "" || key.KeyID == kid {
			if p, err := jws.Verify(&key); err == nil {
				return p, true
			}
		}
	}
	return nil, false
}

// get reads the key set from the provider.
func (k *keySet) get(ctx context.Context) ([]jose.JSONWebKey, error) {
	// Detached from the caller, as discovery is: one caller giving up must
	// not leave the fetch failed for everyone until the next is allowed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), discoveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.uri, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get keys failed %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get keys failed: %s", resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxKeySet)).Decode(&set); err != nil {
		return nil, fmt.Errorf("get keys failed: %v", err)
	}
	return set.Keys, nil
}
