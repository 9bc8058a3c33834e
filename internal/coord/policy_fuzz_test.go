package coord

import (
	"encoding/json"
	"strings"
	"testing"
)

// Added by a trial of bad input (2026-12-06): the policy file (-policy-file, JSON from the
// operator) had no fuzz target. Decoded as LoadPolicies decodes it, no
// input may panic, and a policy accepted must resolve for any region.
func FuzzPolicyFile(f *testing.F) {
	f.Add(`{}`)
	f.Add(`{"default":{"per_agency_per_year":2},"regions":{"510000":{"phase":"trial"},"510100":{"warn_per_day":1}}}`)
	f.Add(`{"regions":{"":{}}}`)
	f.Add(`{"default":{"per_agency_per_year":-1}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var pf PolicyFile
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&pf); err != nil {
			return
		}
		p, err := NewPolicies(pf)
		if err != nil {
			return
		}
		for _, r := range []string{"", "510104", "510100", "510000", "999999", "5"} {
			_ = p.For(r)
		}
	})
}
