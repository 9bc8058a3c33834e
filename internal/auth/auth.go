// Package auth authenticates callers by bearer token and declares, for every
// RPC, which roles may call it. Object-level checks (an officer only for their
// agency, an enterprise only for itself) are made by the service, which knows
// the objects.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Principal is an authenticated caller.
type Principal struct {
	Role    ruqiv1.Role
	Subject string // officer id, USCC, region code, or an administrator's name
	TokenID string
	// Kind is how the token came to be (store.TokenSession for a sign-in,
	// store.TokenDevice for an enrolled staff phone, "" if issued).
	Kind string
	// Label names the device or the signed-in account.
	Label string
}

// Via says which of the principal's credentials made a call, for records
// that must say who acted (a check-in by a front-desk phone), e.g.
// "device 前台 tok-1a2b…".
func (p Principal) Via() string {
	what := "token"
	switch p.Kind {
	case store.TokenSession:
		what = "account"
	case store.TokenDevice:
		what = "device"
	}
	if p.Label != "" {
		what += " " + p.Label
	}
	return what + " " + p.TokenID
}

// String names the principal in events and logs, e.g. "officer:O-0001".
func (p Principal) String() string {
	role := strings.ToLower(strings.TrimPrefix(p.Role.String(), "ROLE_"))
	return role + ":" + p.Subject
}

// Is reports whether p has role r.
func (p Principal) Is(r ruqiv1.Role) bool { return p.Role == r }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller, if authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

type slotKey struct{}

// WithCallerSlot lets an interceptor that runs before authentication (the
// request log) learn who the caller turned out to be.
func WithCallerSlot(ctx context.Context) (context.Context, func() (Principal, bool)) {
	slot := new(Principal)
	return context.WithValue(ctx, slotKey{}, slot), func() (Principal, bool) { return *slot, slot.Role != 0 }
}

func fillSlot(ctx context.Context, p Principal) {
	if slot, ok := ctx.Value(slotKey{}).(*Principal); ok {
		*slot = p
	}
}

// tokenPrefix marks ruqi tokens so that secret scanners and people can tell
// what a leaked string is.
const tokenPrefix = "rq_"

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewToken returns a fresh bearer token (256 random bits), its id (a short
// public name for logs and revocation) and the hash to store.
func NewToken() (token, id string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", nil, fmt.Errorf("random token: %w", err)
	}
	token = tokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(b[:]))
	hash = HashToken(token)
	return token, fmt.Sprintf("tok-%x", hash[:6]), hash, nil
}

// HashToken is what the store keeps of a token. Tokens carry 256 bits of
// entropy, so a plain SHA-256 (no salt, no slow hash) is enough and lets the
// lookup be a single key read.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
