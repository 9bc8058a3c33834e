package tlog

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ruqi/ruqi/internal/durable"
)

// VerifierKey derives the verifier key (name+hash+key) from an Ed25519 note
// signer key.
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a note signer key (PRIVATE+KEY+name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// LoadOrCreateKey reads a signer key from path, or creates one named name
// there (mode 0600, written durably) when the file does not exist. An empty
// or unreadable file is an error, never a reason to make a new key: a new
// key would silently start another log.
func LoadOrCreateKey(path, name string) (skey, vkey string, err error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		skey, vkey, err = note.GenerateKey(rand.Reader, name)
		if err != nil {
			return "", "", err
		}
		if err := durable.WriteFile(path, []byte(skey+"\n"), 0o600); err != nil {
			return "", "", fmt.Errorf("write key %s: %w", path, err)
		}
		return skey, vkey, nil
	case err != nil:
		return "", "", fmt.Errorf("read key %s: %w", path, err)
	}
	skey = strings.TrimSpace(string(b))
	if vkey, err = VerifierKey(skey); err != nil {
		return "", "", fmt.Errorf("key file %s: %w", path, err)
	}
	return skey, vkey, nil
}
