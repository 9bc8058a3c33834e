package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Shapes of the ids the service makes, for checks and for examples that
// look like what users will see.
var (
	// InspectionIDShape: INS-, the day of registration, 8 base32 characters.
	InspectionIDShape = regexp.MustCompile(`^INS-\d{8}-[A-Z2-7]{8}$`)
	// LeadIDShape: L- and 16 upper-case hex digits, whatever opened the lead.
	LeadIDShape = regexp.MustCompile(`^L-[0-9A-F]{16}$`)
)

// LeadID formats a lead id from 8 bytes: random ones for a new lead.
func LeadID(b [8]byte) string {
	return "L-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// LeadIDFor is the id of the one lead that every report with the same key
// becomes (the same bad code scanned again by the same enterprise): the
// first 8 bytes of the key's SHA-256, in the shape of every other lead id.
func LeadIDFor(key string) string {
	sum := sha256.Sum256([]byte(key))
	var b [8]byte
	copy(b[:], sum[:8])
	return LeadID(b)
}
