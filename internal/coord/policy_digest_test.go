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
	for name, f := range map[string]PolicyFile{
		"a default cap":  {Default: PolicyConfig{AgencyPerYear: &five}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &five}, "440300": {}}},
		"a region's cap": {Default: PolicyConfig{AgencyPerYear: &two}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &two}, "440300": {}}},
		"a region less":  {Default: PolicyConfig{AgencyPerYear: &two}, Regions: map[string]PolicyConfig{"510100": {AgencyPerYear: &five}}},
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

// unannounced_types is a set: its order in the file changes no rule (a
// review, 2026-12-05: two equivalent files made replicas refuse each other).
func TestPoliciesDigest_UnannouncedTypesOrder(t *testing.T) {
	mk := func(types ...string) int64 {
		p, err := NewPolicies(PolicyFile{Default: PolicyConfig{UnannouncedTypes: types}})
		if err != nil {
			t.Fatal(err)
		}
		return p.Digest()
	}
	if a, b := mk("random", "case"), mk("case", "random", "case"); a != b {
		t.Errorf("unannounced_types [random case] and [case random case]: digests %x and %x", a, b)
	}
	if a, b := mk("random", "case"), mk("random"); a == b {
		t.Error("unannounced_types [random case] and [random]: one digest")
	}
}

// Any two digests differ by what an int64 holds: the store publishes one as
// the difference from the other (a review, 2026-12-05, found a pair whose
// difference wrapped).
func TestPoliciesDigest_DifferencesFit(t *testing.T) {
	for n := range 200 {
		p, err := NewPolicies(PolicyFile{Default: PolicyConfig{AgencyPerYear: &n}})
		if err != nil {
			t.Fatal(err)
		}
		if d := p.Digest(); d <= 0 || d >= 1<<62 {
			t.Fatalf("agency_per_year %d: digest %d outside [1, 2^62)", n, d)
		}
	}
}

// A policy counts in Beijing time whatever alias of it the file names, and
// replicas given two aliases decide by one rule (an alias used to give
// another digest).
func TestPolicies_BeijingTimeAliases(t *testing.T) {
	digest := func(zone string) int64 {
		p, err := NewPolicies(PolicyFile{Default: PolicyConfig{TimeZone: zone}})
		if err != nil {
			t.Fatalf("time_zone %q: %v", zone, err)
		}
		if z := p.For("510104").Zone.String(); z != "Asia/Shanghai" {
			t.Errorf("time_zone %q: counts in %s", zone, z)
		}
		return p.Digest()
	}
	want := digest("")
	for _, zone := range []string{"Asia/Shanghai", "Asia/Chongqing", "PRC"} {
		if d := digest(zone); d != want {
			t.Errorf("time_zone %q: digest %x, without it %x", zone, d, want)
		}
	}
}
