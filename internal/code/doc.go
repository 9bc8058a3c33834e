// Package code implements the officer's signed inspection code (入企码): a
// COSE_Sign1 (RFC 9052) message signed with Ed25519 carrying CWT claims
// (RFC 8392), its text form, the signing key ring and QR images.
//
// The wire format is fixed and strict so that one set of claims signed by one
// key has exactly one valid encoding:
//
//	COSE_Sign1_Tagged = #6.18([
//	    protected:   bstr .cbor {1: -8 (EdDSA), 4: kid (16 lower-case hex characters as bytes)},
//	    unprotected: {},
//	    payload:     bstr .cbor claims (Core Deterministic CBOR, integer keys),
//	    signature:   bstr .size 64,
//	])
//
// Parse re-encodes what it decoded and rejects the message unless the bytes
// are identical. That rules out alternative encodings of the same content
// (non-minimal lengths, unsorted maps, extra header parameters, trailing
// bytes), so a code cannot be altered into a different but still valid string,
// and a token that verifies is byte-for-byte the one the server issued.
//
// The text form is upper-case base32 (RFC 4648) without padding, so that the
// URL put into the QR code ("HTTPS://HOST/V/TOKEN") uses only characters of the
// QR alphanumeric mode, which needs about 5.5 bits per character instead of 8.
//
// The package does no storage and no network I/O: the caller persists keys,
// rebuilds the ring from storage with NewRing after a change (a rotation,
// another replica's key), and checks the code's time window
// (domain.TimeCode) and the inspection's state after Verify.
package code
