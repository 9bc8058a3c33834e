package code

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Key is one Ed25519 signing key of the ring.
type Key struct {
	ID          string             // KeyID(Public)
	Private     ed25519.PrivateKey // nil for a verify-only copy
	Public      ed25519.PublicKey
	CreatedAt   time.Time
	RetiredAt   time.Time // zero while active
	VerifyUntil time.Time // latest expiry of any code it signed; a retired key is kept until then
}

// keyIDLen is the length of a key id: 8 bytes of SHA-256 as hex. 64 bits
// are plenty to tell apart the handful of keys a ring ever holds, and the id
// is only a lookup hint: the signature check is what binds a code to a key.
const keyIDLen = 16

// KeyID is the first 8 bytes of SHA-256 of the public key, as 16 lower-case
// hex characters.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:keyIDLen/2])
}

// validKeyID reports whether s has the form KeyID produces.
func validKeyID(s string) bool {
	if len(s) != keyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// NewKey generates an active key with crypto/rand.
func NewKey(now time.Time) (Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("code: generate key: %w", err)
	}
	return Key{ID: KeyID(pub), Private: priv, Public: pub, CreatedAt: now}, nil
}

// clone returns a copy that shares no memory with k, so callers can neither
// change the ring's keys nor see later changes.
func (k Key) clone() Key {
	k.Private = bytes.Clone(k.Private)
	k.Public = bytes.Clone(k.Public)
	return k
}

func (k Key) retired() bool { return !k.RetiredAt.IsZero() }

// check verifies that a key loaded from storage is internally consistent.
func (k Key) check() error {
	if len(k.Public) != ed25519.PublicKeySize {
		return fmt.Errorf("code: 密钥 %s 的公钥长度为 %d 字节，应为 %d", k.ID, len(k.Public), ed25519.PublicKeySize)
	}
	if want := KeyID(k.Public); k.ID != want {
		return fmt.Errorf("code: 密钥编号 %q 与公钥不符（应为 %s）", k.ID, want)
	}
	if k.Private != nil {
		if len(k.Private) != ed25519.PrivateKeySize {
			return fmt.Errorf("code: 密钥 %s 的私钥长度为 %d 字节，应为 %d", k.ID, len(k.Private), ed25519.PrivateKeySize)
		}
		if !k.Public.Equal(k.Private.Public()) {
			return fmt.Errorf("code: 密钥 %s 的私钥与公钥不匹配", k.ID)
		}
	}
	return nil
}

// Ring is the server's key ring, safe for concurrent use. Exactly one key is
// active (signs); retired keys verify the codes they signed, and are
// published until their VerifyUntil.
//
// The ring only holds keys in memory, as storage last said: a rotation is
// written to storage and the ring rebuilt with NewRing, so that memory never
// holds a key state the disk does not.
type Ring struct {
	mu     sync.RWMutex
	keys   map[string]Key
	active string
}

// NewRing builds a ring from stored keys. Exactly one key must be active
// (RetiredAt zero), and it must have its private key; ids must be unique and
// match the public keys. Retired keys may come with or without their
// private key.
//
// This is slightly stricter than "one active key among those with a private
// key": a non-retired key without a private key would be neither signing nor
// ever pruned, so it is refused as a sign of corrupt storage.
func NewRing(keys []Key) (*Ring, error) {
	r := &Ring{keys: make(map[string]Key, len(keys))}
	for _, k := range keys {
		if err := k.check(); err != nil {
			return nil, err
		}
		if _, dup := r.keys[k.ID]; dup {
			return nil, fmt.Errorf("code: 密钥 %s 重复", k.ID)
		}
		if !k.retired() {
			if k.Private == nil {
				return nil, fmt.Errorf("code: 未停用的密钥 %s 缺少私钥", k.ID)
			}
			if r.active != "" {
				return nil, fmt.Errorf("code: 有多个启用的密钥（%s 和 %s），应只有一个", r.active, k.ID)
			}
			r.active = k.ID
		}
		r.keys[k.ID] = k.clone()
	}
	if r.active == "" {
		return nil, errors.New("code: 没有启用的签名密钥（no active key）")
	}
	return r, nil
}

// Active returns a copy of the signing key.
func (r *Ring) Active() Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[r.active].clone()
}

// Lookup returns the public key for kid if the ring holds it, active or
// retired, even past VerifyUntil: whether a code is still valid is the
// caller's time check. Its signature fits
// Verify's lookup parameter.
func (r *Ring) Lookup(kid string) (ed25519.PublicKey, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[kid]
	if !ok {
		return nil, false
	}
	return bytes.Clone(k.Public), true
}

// NoteSigned raises key kid's VerifyUntil to exp if exp is later, so the key
// is kept (and published) as long as a code it signed can be valid. It
// returns the updated key and whether it changed; when it did, the caller
// persists the key. If the ring does not hold kid, the returned key is zero
// (empty ID).
func (r *Ring) NoteSigned(kid string, exp time.Time) (Key, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[kid]
	if !ok {
		return Key{}, false
	}
	if !exp.After(k.VerifyUntil) {
		return k.clone(), false
	}
	k.VerifyUntil = exp
	r.keys[kid] = k
	return k.clone(), true
}

// Published returns the keys that verifiers need: the active one and the
// retired ones with VerifyUntil after now, as copies without private keys,
// active first and then newest first.
func (r *Ring) Published(now time.Time) []Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Key
	for _, k := range r.keys {
		if k.ID == r.active || k.VerifyUntil.After(now) {
			k = k.clone()
			k.Private = nil
			out = append(out, k)
		}
	}
	r.sortLocked(out)
	return out
}

// sortLocked orders keys active first, then by CreatedAt descending, then by
// id so the order is deterministic. r.mu must be held.
func (r *Ring) sortLocked(keys []Key) {
	slices.SortFunc(keys, func(a, b Key) int {
		if aa, ba := a.ID == r.active, b.ID == r.active; aa != ba {
			if aa {
				return -1
			}
			return 1
		}
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
