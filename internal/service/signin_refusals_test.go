package service_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/identity"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/testutil/oidctest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A trial of sign-in and credentials (2026-12): a real OpenID provider
// (oidctest) in front of the real service, in process.

const trialPassword = "pw"

var trialCLI = oidctest.Client{ID: "ruqi-cli", RedirectURIs: []string{"http://127.0.0.1/callback"}}

// identityEnv is a service on a fresh bbolt file whose sign-in trusts
// issuer's ID tokens (the web client ruqi-web, the command line's
// ruqi-cli), their claims read by claims; through the read cache, as the
// server reads, when cachedReads.
func identityEnv(t *testing.T, issuer string, claims identity.ClaimMap, cachedReads bool) *env {
	t.Helper()
	bst, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = bst
	if cachedReads {
		st = cached(t, bst)
	}
	return newEnvOn(t, st, "", func(c *service.Config) {
		c.Identity = identity.New(identity.Config{Issuer: issuer, ClientID: "ruqi-web", ClientSecret: "s", CLIClientID: "ruqi-cli", Claims: claims})
	})
}

// signInEnv is a service with the province's provider configured, the
// officer certificate claim mapped ("cert_no") as README's example does.
func signInEnv(t *testing.T, users ...oidctest.User) (*env, *oidctest.Provider) {
	t.Helper()
	idp := oidctest.Start(t, users...)
	idp.AddClient(trialCLI)
	e := identityEnv(t, idp.Issuer, identity.ClaimMap{EnterpriseUSCC: "uscc", OfficerID: "officer_id", OfficerCertificate: "cert_no"}, true)
	return e, idp
}

// TestSignIn_OfficerCertificateClaimMissing_Refused, found by a trial of sign-in (2026-12-05): with
// "officer_certificate" configured, docs/SECURITY.md says the certificate
// number "must match the directory". An account whose ID token carries an
// officer id but no certificate number is not checked at all and becomes
// that officer.
func TestSignIn_OfficerCertificateClaimMissing_Refused(t *testing.T) {
	e, idp := signInEnv(t,
		oidctest.User{Username: "wrongcert", Password: trialPassword, Claims: map[string]any{"officer_id": "O-0001", "cert_no": "00000000000000"}},
		oidctest.User{Username: "nocert", Password: trialPassword, Claims: map[string]any{"officer_id": "O-0001"}},
	)
	sess := ruqiv1.NewSessionServiceClient(e.cc)

	// The rule holds for a wrong number...
	id, nonce := idp.IDToken(t, trialCLI, "wrongcert", trialPassword)
	if _, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("a wrong certificate number: %v, want PermissionDenied", err)
	}
	// ...but not for no number at all.
	id, nonce = idp.IDToken(t, trialCLI, "nocert", trialPassword)
	resp, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce})
	if err == nil {
		t.Fatalf("an ID token with officer_id %s and no %s claim signed in as officer %s (token %s): the certificate was never checked",
			"O-0001", "cert_no", resp.GetSubject(), resp.GetTokenId())
	}
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(status.Convert(err).Message(), "执法证号") {
		t.Errorf("refusal = %v, want PermissionDenied naming the certificate number (执法证号)", err)
	}
}

// TestSignIn_RefusedToken_Spent, found by a trial of sign-in (2026-12-05): docs/SECURITY.md: "Whoever
// holds a copy of an ID token ... gets no session of their own with it".
// A sign-in that is refused (here: an officer's account asking to be an
// enterprise, as `ruqi login --as enterprise` or the verify page asks)
// spends nothing, and the nonce the server checks is the one the caller
// sends (readable from the token itself), so the same copy is exchanged
// afterwards for a session of the account's other role.
func TestSignIn_RefusedToken_Spent(t *testing.T) {
	e, idp := signInEnv(t, oidctest.User{Username: "officer", Password: trialPassword, Claims: map[string]any{"officer_id": "O-0001", "cert_no": "51010020180001"}})
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	id, nonce := idp.IDToken(t, trialCLI, "officer", trialPassword)
	if _, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce, Role: ruqiv1.Role_ROLE_ENTERPRISE}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("officer as enterprise: %v", err)
	}
	// Whoever kept a copy of that request (a proxy's log):
	resp, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce})
	if err == nil {
		t.Fatalf("the copy of a refused sign-in's ID token was exchanged for an officer session %s of %s", resp.GetTokenId(), resp.GetSubject())
	}
}

// TestSignIn_RevokedOfficer_Refused, found by a trial of sign-in (2026-12-05): an officer whose
// certificate is revoked (注销) is refused at every call, yet a sign-in
// issues a session for them, records TOKEN_ISSUED and spends the ID token;
// `ruqi login` says 已登录. The session becomes a working credential the
// moment the certificate is reinstated, without a new sign-in.
func TestSignIn_RevokedOfficer_Refused(t *testing.T) {
	e, idp := signInEnv(t, oidctest.User{Username: "officer", Password: trialPassword, Claims: map[string]any{"officer_id": "O-0001", "cert_no": "51010020180001"}})
	if _, err := ruqiv1.NewDirectoryServiceClient(e.cc).SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{
		OfficerId: "O-0001", Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, Reason: "调离执法岗位"}); err != nil {
		t.Fatal(err)
	}
	id, nonce := idp.IDToken(t, trialCLI, "officer", trialPassword)
	resp, err := ruqiv1.NewSessionServiceClient(e.cc).SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce})
	if err == nil {
		t.Errorf("an officer whose certificate is revoked signed in: session %s for %s", resp.GetTokenId(), resp.GetSubject())
	} else if status.Code(err) != codes.PermissionDenied || !strings.Contains(status.Convert(err).Message(), "执法证") {
		t.Errorf("refusal = %v, want PermissionDenied naming the certificate", err)
	}
}

// TestLifetimes_BeyondTheMaximum_RefusedAtStart, found by a trial of sign-in (2026-12-05): docs/SECURITY.md: an
// administrator-issued token lives "1 minute to 366 days". The server's
// -token-ttl (RUQI_TOKEN_TTL) is not held to that: every token issued
// without --ttl then outlives the maximum that --ttl is refused beyond.
func TestLifetimes_BeyondTheMaximum_RefusedAtStart(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, l := range []service.Lifetimes{{Token: 10 * 365 * 24 * time.Hour}, {Session: 400 * 24 * time.Hour}, {Device: 30 * time.Second}} {
		_, err := service.New(context.Background(), st, service.Config{Lifetimes: l}, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
		if err == nil || !strings.Contains(err.Error(), "ttl") {
			t.Errorf("lifetimes %+v: %v, want a refusal naming the flag", l, err)
		}
	}
}

// miniOP is an OpenID provider reduced to what a relying party reads:
// discovery, its key set, and ID tokens it signs (RS256) with whatever
// audience a real provider can put there. zitadel (the product) puts every
// client id of a project, and the project's id, in aud; Keycloak's audience
// mappers add clients; the token's azp names the client it was issued to.
type miniOP struct {
	issuer string
	key    *rsa.PrivateKey
}

func startMiniOP(t *testing.T) *miniOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &miniOP{key: key}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	op.issuer = srv.URL
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": op.issuer, "authorization_endpoint": op.issuer + "/auth", "token_endpoint": op.issuer + "/token",
			"jwks_uri": op.issuer + "/keys", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []any{map[string]any{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	})
	return op
}

// idToken signs claims (iss, iat and exp are added).
func (op *miniOP) idToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	claims["iss"], claims["iat"], claims["exp"] = op.issuer, time.Now().Unix(), time.Now().Add(time.Hour).Unix()
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	p, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, op.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestSignIn_TokenIssuedToAnotherClient_Refused, found by a trial of sign-in (2026-12-05): OpenID Connect Core
// 3.1.3.7 (items 3-5): with several audiences the client checks azp, and
// azp must be its own client id. SignIn only checks that one of ruqi's two
// client ids is among the audiences, and the nonce it compares is the one
// the caller sends. So another relying party of the province's provider,
// which legitimately receives its users' ID tokens (azp = itself) with ruqi
// among the audiences, as providers that put a project's clients in aud
// issue them, signs in at ruqi as each of its users.
func TestSignIn_TokenIssuedToAnotherClient_Refused(t *testing.T) {
	op := startMiniOP(t)
	e := identityEnv(t, op.issuer, identity.ClaimMap{EnterpriseUSCC: "uscc"}, false)
	uscc := e.dir.GetEnterprises()[0].GetUscc()
	sess := ruqiv1.NewSessionServiceClient(e.cc)

	// Control: a token for ruqi alone signs in, so the provider is sound.
	own := op.idToken(t, map[string]any{"sub": "u-1", "aud": "ruqi-web", "nonce": "n-own", "uscc": uscc})
	if _, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: own, Nonce: "n-own"}); err != nil {
		t.Fatalf("a token for ruqi: %v", err)
	}
	// The same user's token as the provider issued it to another app (the
	// 社保 portal, say), in that app's sign-in, with that app's nonce.
	other := op.idToken(t, map[string]any{"sub": "u-1", "aud": []string{"shebao-portal", "ruqi-web"}, "azp": "shebao-portal", "nonce": "n-of-the-portal", "uscc": uscc})
	resp, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: other, Nonce: "n-of-the-portal"})
	if err == nil {
		t.Fatalf("an ID token issued to another client (azp shebao-portal) signed in at ruqi as enterprise %s: session %s", resp.GetSubject(), resp.GetTokenId())
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("refusal = %v, want Unauthenticated", err)
	}
}

// TestSignIn_NameClaimControlCharacters_NotStored, found by a trial of sign-in (2026-12-05): docs/SECURITY.md
// allows no control character (C0 but tab/LF/CR, DEL, C1, bidi overrides)
// in any text that is stored, because stored they forged rows and verdicts
// in terminals and pages. The account's name claim becomes the session's
// label, which every check-in by that session records ("check-in account
// <label> tok-…", CheckIn.by, the verify page's 扫码者) without that check.
func TestSignIn_NameClaimControlCharacters_NotStored(t *testing.T) {
	op := startMiniOP(t)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "", func(c *service.Config) {
		c.Identity = identity.New(identity.Config{Issuer: op.issuer, ClientID: "ruqi-web", ClientSecret: "s",
			Claims: identity.ClaimMap{EnterpriseUSCC: "uscc"}})
	})
	uscc := e.dir.GetEnterprises()[0].GetUscc()
	name := "张三\x1b[2K\r核验通过 device 前台 \u202e"
	tok := op.idToken(t, map[string]any{"sub": "u-2", "aud": "ruqi-web", "nonce": "n", "uscc": uscc, "name": name})
	resp, err := ruqiv1.NewSessionServiceClient(e.cc).SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: tok, Nonce: "n"})
	if err != nil {
		return // refused: fine
	}
	list, err := ruqiv1.NewAdminServiceClient(e.cc).ListAccessTokens(e.as(e.admin), &ruqiv1.ListAccessTokensRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc})
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range list.GetTokens() {
		if ti.GetTokenId() == resp.GetTokenId() {
			if r, bad := domain.ControlIn(ti.GetLabel()); bad {
				t.Errorf("session %s stored the label %q, with %U, that every check-in it makes records", ti.GetTokenId(), ti.GetLabel(), r)
			}
		}
	}
}

// TestSignIn_HeadAndFilerInOneAccount_Refused, found by a trial of sign-in (2026-12-05): docs/SECURITY.md: "only the
// head of the plan's agency approves ... so approval cannot be given by
// whoever filed the plan". The rule compares principals (role:subject),
// and a sign-in lets one provider account be several: an account that
// carries both agency_admin and agency_head for AG-01 (a small agency whose
// head also administers it) files a special plan as 部门管理员 and approves
// it as 部门负责人, one person on both sides.
func TestSignIn_HeadAndFilerInOneAccount_Refused(t *testing.T) {
	idp := oidctest.Start(t, oidctest.User{Username: "wang", Password: trialPassword, Claims: map[string]any{"agency_admin_of": "AG-01", "agency_head_of": "AG-01", "name": "王局"}})
	idp.AddClient(trialCLI)
	e := identityEnv(t, idp.Issuer, identity.ClaimMap{AgencyAdmin: "agency_admin_of", AgencyHead: "agency_head_of"}, false)
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	for _, role := range []ruqiv1.Role{ruqiv1.Role_ROLE_AGENCY_ADMIN, ruqiv1.Role_ROLE_AGENCY_HEAD} {
		id, nonce := idp.IDToken(t, trialCLI, "wang", trialPassword)
		resp, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce, Role: role})
		if status.Code(err) != codes.PermissionDenied || !strings.Contains(status.Convert(err).Message(), "负责人") {
			t.Errorf("an account that is AG-01's head and administrator, signing in as %v: %v %v; want PERMISSION_DENIED saying the head must be another account (it filed a 专项 plan as the one and approved it as the other)", role, resp.GetSubject(), err)
		}
	}
}

// TestSignIn_RefusalsSayWhatToDo, found by a trial of sign-in (2026-12-05): the refusals of an account with two
// identities (an enterprise's 经办人 who is also an officer) say what the
// account is. ACCOUNT_WRONG_ROLE names only the first candidate ("此政务服务
// 账号是企业账号"), a role number the server does not know leaves blanks
// ("不能以身份登录。请使用的政务服务账号"), and ACCOUNT_AMBIGUOUS does not say how to
// choose (`ruqi login --as …`).
func TestSignIn_RefusalsSayWhatToDo(t *testing.T) {
	e, idp := signInEnv(t, oidctest.User{Username: "multi", Password: trialPassword,
		Claims: map[string]any{"officer_id": "O-0001", "cert_no": "51010020180001", "uscc": "915101070AL6JK1YWK"}})
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	msg := func(role ruqiv1.Role) string {
		id, nonce := idp.IDToken(t, trialCLI, "multi", trialPassword)
		_, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce, Role: role})
		if err == nil {
			t.Fatalf("%v signed in", role)
		}
		return status.Convert(err).Message()
	}
	if m := msg(ruqiv1.Role_ROLE_SUPERVISOR); !strings.Contains(m, "执法人员") {
		t.Errorf("an enterprise-and-officer account refused as supervisor is told only: %q", m)
	}
	if m := msg(ruqiv1.Role(42)); strings.Contains(m, "以身份") || strings.Contains(m, "使用的") {
		t.Errorf("an unknown role number: %q", m)
	}
	if m := msg(ruqiv1.Role_ROLE_UNSPECIFIED); !strings.Contains(m, "--as") {
		t.Errorf("ambiguous account, no way to choose named: %q", m)
	}
}

// An account that is both an officer of AG-01 and AG-01's administrator,
// its certificate suspended by the system administrator, signed in as the
// administrator and restored its own certificate (a trial of sign-in,
// 2026-12-07). The administrator suspends and restores the officers'
// certificates: the two roles of one agency are refused in one account, as
// head and filer are.
func TestSignIn_AdminAndOfficerOfOneAgencyInOneAccount_Refused(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := &ruqiv1.Directory{}
	if err := protojson.Unmarshal(raw, dir); err != nil {
		t.Fatal(err)
	}
	var officer, otherAgency string
	for _, o := range dir.GetOfficers() {
		if o.GetAgencyId() == "AG-01" && officer == "" {
			officer = o.GetId()
		}
	}
	for _, a := range dir.GetAgencies() {
		if a.GetId() != "AG-01" && otherAgency == "" {
			otherAgency = a.GetId()
		}
	}
	idp := oidctest.Start(t,
		oidctest.User{Username: "dong", Password: trialPassword, Claims: map[string]any{"officer_id": officer, "agency_admin_of": "AG-01"}},
		oidctest.User{Username: "li", Password: trialPassword, Claims: map[string]any{"officer_id": officer, "agency_admin_of": otherAgency}})
	idp.AddClient(trialCLI)
	e := identityEnv(t, idp.Issuer, identity.ClaimMap{OfficerID: "officer_id", AgencyAdmin: "agency_admin_of"}, false)
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	for _, role := range []ruqiv1.Role{ruqiv1.Role_ROLE_AGENCY_ADMIN, ruqiv1.Role_ROLE_OFFICER} {
		id, nonce := idp.IDToken(t, trialCLI, "dong", trialPassword)
		resp, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce, Role: role})
		if status.Code(err) != codes.PermissionDenied || reasonOf(err) != "ACCOUNT_ADMIN_AND_OFFICER" {
			t.Errorf("an account that is AG-01's administrator and its officer %s, signing in as %v: %v %v; want ACCOUNT_ADMIN_AND_OFFICER", officer, role, resp.GetSubject(), err)
		}
	}
	// Administrator of another agency: the roles do not check each other.
	id, nonce := idp.IDToken(t, trialCLI, "li", trialPassword)
	if _, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce, Role: ruqiv1.Role_ROLE_OFFICER}); err != nil {
		t.Errorf("an officer of AG-01 who administers %s: %v", otherAgency, err)
	}
}

// A provider that puts every client of a project in the audience names
// the one that asked in azp: a ruqi login session read 网页登录 in admin
// token list (a review, 2026-12-07).
func TestSignIn_CLISessionByAuthorizedParty(t *testing.T) {
	op := startMiniOP(t)
	e := identityEnv(t, op.issuer, identity.ClaimMap{EnterpriseUSCC: "uscc"}, false)
	uscc := e.dir.GetEnterprises()[0].GetUscc()
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	tok := op.idToken(t, map[string]any{"sub": "u-1", "aud": []string{"ruqi-web", "ruqi-cli"}, "azp": "ruqi-cli", "nonce": "n1", "uscc": uscc})
	resp, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: tok, Nonce: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := ruqiv1.NewAdminServiceClient(e.cc).ListAccessTokens(e.as(e.admin), &ruqiv1.ListAccessTokensRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ti := range list.GetTokens() {
		if ti.GetTokenId() == resp.GetTokenId() {
			found = true
			if !strings.Contains(ti.GetDescription(), "命令行") {
				t.Errorf("a token issued to ruqi-cli (azp) is described as %q", ti.GetDescription())
			}
		}
	}
	if !found {
		t.Errorf("the session %s is not in admin token list", resp.GetTokenId())
	}
}
