package redisconn

import (
	"strings"
	"testing"
)

// A review: a password with an unencoded / ? or # (or % not followed by two
// hex digits) made url.Parse read part of the password as the host's port
// or the database, and its error, kept in the refusal, repeated it: the
// start's error line (the journal) held the password up to that character.
func TestParse_RefusalHoldsNoPartOfThePassword(t *testing.T) {
	for _, addr := range []string{
		"redis://:Kx9sEcret/more@127.0.0.1:6379",
		"redis://:Kx9sEcret?more@127.0.0.1:6379",
		"redis://ruqi:Kx9sEcret#more@127.0.0.1:6379",
		"redis://ruqi:1234/Kx9sEcret@127.0.0.1:6379",
	} {
		_, err := Parse(addr, "")
		if err == nil {
			t.Errorf("Parse(%q) accepted", addr)
			continue
		}
		if strings.Contains(err.Error(), "Kx9sEcret") {
			t.Errorf("Parse: %v repeats the password", err)
		}
	}
}
