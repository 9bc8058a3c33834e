package identity

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// readmeConfig is the example of README.md, "With the province's identity
// provider".
const readmeConfig = `{
  "issuer": "https://id.example.gov.cn",
  "client_id": "ruqi-web", "client_secret": "…", "cli_client_id": "ruqi-cli",
  "claims": {
    "enterprise_uscc": "uscc",
    "officer_id": "officer_id", "officer_certificate": "cert_no",
    "role": "roles", "supervisor_role": "sfj_supervisor", "supervisor_region": "region",
    "agency_admin": "agency_admin_of"
  }
}`

// The -oidc-config file is the operator's, read once at start. Whatever
// its bytes, Parse does not panic; a file it accepts satisfies what sign-in
// relies on (an issuer discovery can be read from, a client to check the
// audience against, a claim that maps a principal, the supervisor's three
// claims together) and says the same when written back and read again;
// a refusal is an error of bounded length.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		readmeConfig,
		`{"issuer":"https://id.example","client_id":"ruqi","claims":{"enterprise_uscc":"uscc"}}`,
		`{"issuer":"http://127.0.0.1:5556/dex","client_id":"ruqi-web","client_secret":"s","cli_client_id":"ruqi-cli","scopes":["profile","gov"],"claims":{"officer_id":"oid","agency_head":"head_of","name":"display"}}`,
		`{"issuer":"https://id.example","client_id":"ruqi","claims":{}}`,
		`{"issuer":"https://id.example","client_id":"ruqi","claims":{"enterprise_uscc":"uscc"},"typo":1}`,
		`{"issuer":"https://id.example","client_id":"ruqi","claims":{"supervisor_region":"region"}}`,
		`{"issuer":"https://id.example","client_id":"ruqi","claims":{"enterprise_uscc":"uscc"}}{"issuer":"https://other"}`,
		`{"issuer":"https://id.example/ ","client_id":"ruqi","claims":{"enterprise_uscc":"uscc"}}`,
		`{"issuer":"id.example","client_id":"ruqi","claims":{"enterprise_uscc":"uscc"}}`,
		`[]`, `null`, ``, `{"issuer":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			if c != nil {
				t.Fatalf("refused (%v) and still returned a config", err)
			}
			if msg := err.Error(); utf8.RuneCountInString(msg) > maxConfigError+100 || msg == "" {
				t.Fatalf("refusal of %d bytes: %.200q", len(msg), msg)
			}
			return
		}
		if !validIssuer(c.Issuer) || c.ClientID == "" {
			t.Fatalf("accepted issuer %q, client %q", c.Issuer, c.ClientID)
		}
		m := c.Claims
		if m.EnterpriseUSCC == "" && m.OfficerID == "" && m.SupervisorRegion == "" && m.AgencyAdmin == "" && m.AgencyHead == "" {
			t.Fatalf("accepted a config that maps no principal: %+v", m)
		}
		if (m.SupervisorRegion == "") != (m.Role == "" || m.SupervisorRole == "") {
			t.Fatalf("accepted a supervisor mapping without its three claims: %+v", m)
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(again)
		if err != nil {
			t.Fatalf("an accepted config written back is refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", c, c2)
		}
	})
}

// An ID token's claims are the provider's JSON, partly typed by account
// holders (a name, and in some provinces the role list). Map must not
// panic on any of it, and what it returns is what SignIn relies on: the
// roles in a fixed order, each at most once, each only where its claim is
// configured; a subject that is the claim's text trimmed, never empty but
// for a supervisor without a region (refused by the caller with a
// message); a certificate only for an officer.
func FuzzMapClaims(f *testing.F) {
	province := `{"enterprise_uscc":"uscc","officer_id":"officer_id","officer_certificate":"cert","role":"roles","supervisor_role":"sfj","supervisor_region":"region","agency_admin":"agency","agency_head":"head"}`
	for _, c := range []struct{ claims, mapping string }{
		{`{"iss":"https://id.example","sub":"u-1","uscc":" 91510104CY4C7RGWMR ","name":"张三"}`, province},
		{`{"officer_id":"O-1","cert":"C-9","roles":["clerk","sfj"],"region":"510104","agency":"AG-01"}`, province},
		{`{"roles":"clerk sfj","region":"510104"}`, province},
		{`{"roles":"clerk other","region":"510104","uscc":42}`, province},
		{`{"roles":[1,null,"sfj"],"head":"AG-01","officer_id":"O-0001"}`, province},
		{`{"uscc":"\u202e91510104CY4C7RGWMR","name":"\u001b[31m王\t五"}`, province},
		{`{"x":"AG-01"}`, `{"agency_admin":"x","name":"x"}`},
		{`{"":"O-1"}`, `{"officer_id":""}`},
		{`null`, province}, {`[]`, province},
	} {
		f.Add([]byte(c.claims), []byte(c.mapping))
	}
	f.Fuzz(func(t *testing.T, claimsJSON, mappingJSON []byte) {
		var m ClaimMap
		if json.Unmarshal(mappingJSON, &m) != nil {
			return
		}
		// As go-oidc reads them (IDToken.Claims: encoding/json into a map).
		var claims map[string]any
		if json.Unmarshal(claimsJSON, &claims) != nil {
			return
		}
		got := m.Map(claims)
		if again := m.Map(claims); !reflect.DeepEqual(got, again) {
			t.Fatalf("Map differs between two calls: %+v, %+v", got, again)
		}
		order := map[ruqiv1.Role]int{ruqiv1.Role_ROLE_ENTERPRISE: 1, ruqiv1.Role_ROLE_OFFICER: 2, ruqiv1.Role_ROLE_SUPERVISOR: 3,
			ruqiv1.Role_ROLE_AGENCY_ADMIN: 4, ruqiv1.Role_ROLE_AGENCY_HEAD: 5}
		claimOf := map[ruqiv1.Role]string{ruqiv1.Role_ROLE_ENTERPRISE: m.EnterpriseUSCC, ruqiv1.Role_ROLE_OFFICER: m.OfficerID,
			ruqiv1.Role_ROLE_SUPERVISOR: m.SupervisorRegion, ruqiv1.Role_ROLE_AGENCY_ADMIN: m.AgencyAdmin, ruqiv1.Role_ROLE_AGENCY_HEAD: m.AgencyHead}
		last := 0
		for _, c := range got {
			o := order[c.Role]
			if o <= last {
				t.Fatalf("candidates out of order or repeated: %+v", got)
			}
			last = o
			if c.Subject != strings.TrimSpace(c.Subject) || !utf8.ValidString(c.Subject) {
				t.Fatalf("subject %q not trimmed UTF-8", c.Subject)
			}
			if c.Certificate != "" && (c.Role != ruqiv1.Role_ROLE_OFFICER || m.OfficerCertificate == "") {
				t.Fatalf("a certificate %q for %v under %+v", c.Certificate, c.Role, m)
			}
			if c.Role == ruqiv1.Role_ROLE_SUPERVISOR {
				if m.SupervisorRole == "" {
					t.Fatalf("a supervisor with no supervisor_role configured: %+v", m)
				}
				if c.Subject != "" && claimOf[c.Role] == "" {
					t.Fatalf("a supervisor's region %q with no region claim configured", c.Subject)
				}
			} else if c.Subject == "" || claimOf[c.Role] == "" {
				t.Fatalf("candidate %+v from claim %q", c, claimOf[c.Role])
			}
			if name := claimOf[c.Role]; name != "" {
				if s, _ := claims[name].(string); domain.NormalizeID(s) != c.Subject {
					t.Fatalf("subject %q, claim %q says %q", c.Subject, name, s)
				}
			}
		}
		// Every principal-making claim that holds text makes its candidate.
		for role, name := range claimOf {
			if role == ruqiv1.Role_ROLE_SUPERVISOR || name == "" {
				continue
			}
			if s, ok := claims[name].(string); ok && strings.TrimSpace(s) != "" && !slices.ContainsFunc(got, func(c Candidate) bool { return c.Role == role }) {
				t.Fatalf("claim %q = %q made no %v: %+v", name, s, role, got)
			}
		}
		if n := m.DisplayName(claims); n != strings.TrimSpace(n) {
			t.Fatalf("display name %q not trimmed", n)
		}
	})
}
