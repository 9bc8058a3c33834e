package coord

import (
	"testing"
)

// One digest for the same rules, whatever the file's layout; another when a
// cap, a zone or a region's rule differs.
func TestPoliciesDigest(t *testing.T) {
	two, five := 2, 5
	mk := func(f PolicyFile) int64 {
		t.Helper()
		p, err := NewPolicies(f)
		if err != nil {
			t.Fatal(err)
		}
		return p.Digest()
	}
	base := mk(PolicyFile{Default: PolicyConfig{AgencyPerYear: &two}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &five}, "440300": {}}})
	if again := mk(PolicyFile{Regions: map[string]PolicyConfig{"440300": {}, "510100": {AgencyPerYear: &five}}, Default: PolicyConfig{AgencyPerYear: &two}}); again != base {
		t.Errorf("the same rules written in another order: %x, %x", again, base)
	}
	zone := "Asia/Urumqi"
	for name, f := range map[string]PolicyFile{
		"a default cap":  {Default: PolicyConfig{AgencyPerYear: &five}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &five}, "440300": {}}},
		"a region's cap": {Default: PolicyConfig{AgencyPerYear: &two}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &two}, "440300": {}}},
		"a region less":  {Default: PolicyConfig{AgencyPerYear: &two}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &five}}},
		"a zone":         {Default: PolicyConfig{AgencyPerYear: &two, TimeZone: zone}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &five}, "440300": {}}},
	} {
		if d := mk(f); d == base || d == 0 {
			t.Errorf("%s changed: digest %x, the base's %x", name, d, base)
		}
	}
	one, other := DefaultPolicies(), DefaultPolicies()
	if one.Digest() != other.Digest() {
		t.Error("the built-in policies' digest differs between two builds of them")
	}
}
