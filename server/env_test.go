package main

import "testing"

// README: -coord-max-enterprises and RUQI_COORD_MAX_ENTERPRISES take 0 for
// no limit. The flag did; the variable stopped the start as "not a positive
// number" (a check of the README against the code, 2026-12-07). 0 is taken
// here, and the settings where it means nothing are refused after parsing,
// as the flag's 0 is.
func TestEnvInt_ZeroTaken(t *testing.T) {
	t.Setenv("RUQI_TEST_ENV_INT", "0")
	if got := envInt("RUQI_TEST_ENV_INT", 100_000); got != 0 {
		t.Fatalf("envInt of 0 = %d, want 0", got)
	}
	t.Setenv("RUQI_TEST_ENV_INT", "30000")
	if got := envInt("RUQI_TEST_ENV_INT", 100_000); got != 30000 {
		t.Fatalf("envInt of 30000 = %d", got)
	}
}
