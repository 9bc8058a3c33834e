package ratelimit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/ratelimit"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestParsePolicy(t *testing.T) {
	p, err := ratelimit.ParsePolicy(" enterprise=30/min:60 , supervisor=off,admin=6000/min:100")
	if err != nil {
		t.Fatal(err)
	}
	if r := p[ruqiv1.Role_ROLE_ENTERPRISE]; r.Every != 2*time.Second || r.Burst != 60 {
		t.Fatalf("enterprise %+v", r)
	}
	if _, ok := p[ruqiv1.Role_ROLE_SUPERVISOR]; ok {
		t.Fatal("supervisor=off left a rate")
	}
	if r := p[ruqiv1.Role_ROLE_ADMIN]; r.Every != 10*time.Millisecond {
		t.Fatalf("admin %+v", r)
	}
	if p[ruqiv1.Role_ROLE_OFFICER] != ratelimit.DefaultPolicy()[ruqiv1.Role_ROLE_OFFICER] {
		t.Fatal("a role not named lost its default")
	}
	// A role as `ruqi admin token issue --role` spells it.
	for _, spelt := range []string{"agency-head=30/min:60", "agency_head=30/min:60"} {
		if h, err := ratelimit.ParsePolicy(spelt); err != nil || h[ruqiv1.Role_ROLE_AGENCY_HEAD].Every != 2*time.Second {
			t.Errorf("%q: %v %+v", spelt, err, h[ruqiv1.Role_ROLE_AGENCY_HEAD])
		}
	}
	if off, err := ratelimit.ParsePolicy("off"); err != nil || len(off) != 0 {
		t.Fatalf("off: %v %v", off, err)
	}
	if def, err := ratelimit.ParsePolicy(""); err != nil || len(def) != len(ratelimit.DefaultPolicy()) {
		t.Fatalf("empty: %v %v", def, err)
	}
	for _, bad := range []string{"enterprise", "enterprise=", "enterprise=10/min", "enterprise=10:5", "enterprise=0/min:5",
		"enterprise=10/min:0", "enterprise=60001/min:5", "enterprise=10/min:100001", "guest=10/min:5", "enterprise=-1/min:5", "enterprise=1e3/min:5"} {
		if _, err := ratelimit.ParsePolicy(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParsePolicy: whatever an operator writes, the policy is refused or
// every rate in it is one Step can run (at least a millisecond apart, a
// burst of at least one), and an error repeats a bounded part of it.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"default", "off", "enterprise=30/min:60,supervisor=off", "admin=60000/min:100000", "officer=7/min:1", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ratelimit.ParsePolicy(s)
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		for role, r := range p {
			if r.Every < time.Millisecond || r.Burst < 1 {
				t.Fatalf("%v: %+v", role, r)
			}
		}
	})
}
