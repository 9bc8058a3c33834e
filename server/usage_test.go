package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A review of -redis-addr URLs: RUQI_REDIS_ADDR (as a unit file or a
// container sets it) is the flag's default, and a mistyped flag, or -h,
// prints every flag's default: the password went to the journal with the
// usage. RUQI_STORE's postgres:// URL did the same before.
func TestUsage_ShowsNoPasswordFromTheEnvironment(t *testing.T) {
	if os.Getenv("RUQI_TEST_RUN_MAIN") == "1" {
		os.Args = append([]string{"server"}, strings.Fields(os.Getenv("RUQI_TEST_ARGS"))...)
		main()
		return
	}
	for _, args := range []string{"-no-such-flag", "-h"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUsage_ShowsNoPasswordFromTheEnvironment$")
		cmd.Env = append(os.Environ(), "RUQI_TEST_RUN_MAIN=1", "RUQI_TEST_ARGS="+args,
			"RUQI_REDIS_ADDR=redis://:Kx9sEcretPW@10.0.0.5:6379",
			"RUQI_STORE=postgres://ruqi:Pg9sEcretPW@10.0.0.6:5432/ruqi")
		out, _ := cmd.CombinedOutput()
		for _, secret := range []string{"Kx9sEcretPW", "Pg9sEcretPW"} {
			if strings.Contains(string(out), secret) {
				t.Errorf("server %s printed the password %s:\n%s", args, secret, grepLine(string(out), secret))
			}
		}
	}
}

func grepLine(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
