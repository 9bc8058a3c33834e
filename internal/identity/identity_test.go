package identity

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

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

// A provider's claims name principals as people type them: a USCC in
// lower case or full width, an officer id in lower case. They are read as
// ids are read everywhere else (domain.NormalizeID); they signed nobody in,
// where an administrator's token for the same USCC was read.
func TestMap_SubjectsReadAsTypedIDsAre(t *testing.T) {
	got := province.Map(map[string]any{"uscc": "91510104cy4c7rgwmr", "officer_id": "ｏ－１", "cert": "C-9",
		"roles": "sfj", "region": "５１０１０４", "agency": "ag-01"})
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

// Found by FuzzParseConfig's seeds (2026-12-06): a second JSON value after
// the configuration was ignored, so the server ran on the first of two
// joined files without a word; an issuer that is no URL (a missing scheme,
// a trailing space) was accepted and every sign-in then failed as "provider
// unavailable"; an unknown field's name was quoted whole in the refusal.
func TestParse_RefusesWhatSignInCannotUse(t *testing.T) {
	good := `{"issuer":"https://id.example","client_id":"ruqi","claims":{"enterprise_uscc":"uscc"}}`
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("Parse(%s) = %v", good, err)
	}
	for _, s := range []string{
		good + `{"issuer":"https://other.example"}`,
		good + ` x`,
		strings.Replace(good, "https://id.example", "id.example", 1),
		strings.Replace(good, "https://id.example", "https://id.example ", 1),
		strings.Replace(good, "https://id.example", "https://id.example?x=1", 1),
		strings.Replace(good, "https://id.example", "ftp://id.example", 1),
	} {
		if _, err := Parse([]byte(s)); err == nil {
			t.Errorf("Parse(%s) accepted", s)
		}
	}
	long := `{"` + strings.Repeat("x", 1<<20) + `":1}`
	if _, err := Parse([]byte(long)); err == nil || utf8.RuneCountInString(err.Error()) > maxConfigError+10 {
		t.Errorf("an unknown field of 1 MiB: refusal of %d bytes", len(fmt.Sprint(err)))
	}
}
