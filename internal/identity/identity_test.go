package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var province = ClaimMap{EnterpriseUSCC: "uscc", OfficerID: "officer_id", OfficerCertificate: "cert", Role: "roles",
	SupervisorRole: "sfj", SupervisorRegion: "region", AgencyAdmin: "agency"}

func TestMap_EachClaimMakesItsPrincipal(t *testing.T) {
	got := province.Map(map[string]any{"uscc": " 91510104CY4C7RGWMR ", "officer_id": "O-1", "cert": "C-9",
		"roles": []any{"clerk", "sfj"}, "region": "510104", "agency": "AG-01"})
	want := []Candidate{
		{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "91510104CY4C7RGWMR"},
		{Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-1", Certificate: "C-9"},
		{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "510104"},
		{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-01"},
	}
	if len(got) != len(want) {
		t.Fatalf("Map = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("candidate %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMap_RegionWithoutSupervisorRole_IsNoSupervisor(t *testing.T) {
	if got := province.Map(map[string]any{"roles": "clerk other", "region": "510104", "uscc": 42}); len(got) != 0 {
		t.Errorf("Map = %+v, want nothing", got)
	}
}

func TestLoad_RefusesAConfigThatMapsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oidc.json")
	os.WriteFile(path, []byte(`{"issuer":"https://id.example","client_id":"ruqi","claims":{}}`), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "map no principal") {
		t.Errorf("Load = %v", err)
	}
	os.WriteFile(path, []byte(`{"issuer":"https://id.example","client_id":"ruqi","claims":{"enterprise_uscc":"uscc"},"typo":1}`), 0o600)
	if _, err := Load(path); err == nil {
		t.Error("an unknown field was accepted")
	}
}

func TestUnverifiedIssuer(t *testing.T) {
	// {"iss":"https://other.example"}
	if iss, ok := unverifiedIssuer("e30.eyJpc3MiOiJodHRwczovL290aGVyLmV4YW1wbGUifQ.c2ln"); !ok || iss != "https://other.example" {
		t.Errorf("issuer = %q %v", iss, ok)
	}
	if _, ok := unverifiedIssuer("not a jwt"); ok {
		t.Error("read an issuer from garbage")
	}
}
