// Package identity signs people in through the province's identity provider
// (OpenID Connect): it reads the provider configuration and the claim
// mapping, verifies ID tokens with coreos/go-oidc, and maps an account's
// claims to the principals ruqi knows (an enterprise by its USCC, an
// officer, a supervisor of a region, an agency administrator).
package identity

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Config is the -oidc-config file.
type Config struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// from <Issuer>/.well-known/openid-configuration.
	Issuer string `json:"issuer"`
	// ClientID and ClientSecret are the web pages' (confidential) client.
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// CLIClientID is the public client of `ruqi login` (PKCE, loopback
	// redirect). ID tokens for either client are accepted.
	CLIClientID string `json:"cli_client_id"`
	// Scopes are asked for besides "openid", e.g. a scope that releases the
	// province's own claims.
	Scopes []string `json:"scopes,omitempty"`
	// Claims says which claims name the principal.
	Claims ClaimMap `json:"claims"`
}

// ClaimMap names the claims that make an account a principal. Each is the
// name of a top-level claim of the ID token; an empty name is not mapped.
type ClaimMap struct {
	// EnterpriseUSCC holds an enterprise account's USCC (统一社会信用代码).
	EnterpriseUSCC string `json:"enterprise_uscc"`
	// OfficerID holds an officer's id; OfficerCertificate, if set, holds
	// the enforcement certificate number (执法证号), which must then match
	// the officer's in the directory.
	OfficerID          string `json:"officer_id"`
	OfficerCertificate string `json:"officer_certificate,omitempty"`
	// Role holds the account's roles (a string or a list of strings);
	// SupervisorRole is the value that makes a 司法局 supervisor, whose region
	// is in SupervisorRegion.
	Role             string `json:"role"`
	SupervisorRole   string `json:"supervisor_role"`
	SupervisorRegion string `json:"supervisor_region"`
	// AgencyAdmin holds the agency an agency administrator administers.
	AgencyAdmin string `json:"agency_admin"`
	// AgencyHead holds the agency whose head (部门负责人) the account is:
	// the one who approves its special-campaign plans.
	AgencyHead string `json:"agency_head,omitempty"`
	// Name holds a display name for records ("name" when empty).
	Name string `json:"name,omitempty"`
}

// Load reads and checks a configuration file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("OIDC config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("OIDC config %s: %w", path, err)
	}
	return c, nil
}

// maxConfigError bounds, in characters, what a refusal quotes of the file: a field name or
// a token of a megabyte would otherwise be the whole of the start's error.
const maxConfigError = 300

// Parse reads and checks the configuration file's contents: one JSON
// object, no unknown fields, nothing after it.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, errors.New(domain.Clip(err.Error(), maxConfigError))
	}
	// A second object after the first (two files joined, an edit that left
	// the old text below) was read as nothing: the server ran on whichever
	// came first.
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value: the file must hold one object")
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) check() error {
	switch {
	case c.Issuer == "":
		return errors.New("issuer is missing")
	case !validIssuer(c.Issuer):
		// Discovery reads <issuer>/.well-known/openid-configuration and
		// every ID token must name the issuer exactly: an issuer with a
		// space, a query or no host failed every sign-in as "provider
		// unavailable", long after the server started.
		return fmt.Errorf("issuer %.100q is not an http(s) URL with a host, without query or fragment", c.Issuer)
	case c.ClientID == "":
		return errors.New("client_id is missing")
	case c.Claims.EnterpriseUSCC == "" && c.Claims.OfficerID == "" && c.Claims.SupervisorRegion == "" && c.Claims.AgencyAdmin == "" && c.Claims.AgencyHead == "":
		return errors.New("claims map no principal: set at least one of enterprise_uscc, officer_id, supervisor_region, agency_admin, agency_head")
	case (c.Claims.SupervisorRegion == "") != (c.Claims.Role == "" || c.Claims.SupervisorRole == ""):
		return errors.New("a supervisor needs role, supervisor_role and supervisor_region together")
	}
	return nil
}

// validIssuer says whether s can be an OpenID provider's issuer (OpenID
// Connect Discovery 1.0, section 2: a URL with a host and no query or
// fragment; plain http is allowed for a provider on loopback in tests).
func validIssuer(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil &&
		!strings.ContainsAny(s, "?#") && !strings.ContainsFunc(s, unicode.IsSpace)
}

// Candidate is a principal an account's claims map to, not yet checked
// against the directory.
type Candidate struct {
	Role        ruqiv1.Role
	Subject     string
	Certificate string // an officer's certificate number, when mapped
}

// Map turns claims into candidates, in a fixed order. It is pure: whether
// the USCC, officer or agency exists is for the caller, which reads the
// directory.
func (m ClaimMap) Map(claims map[string]any) []Candidate {
	var out []Candidate
	if v := subjectClaim(claims, m.EnterpriseUSCC); v != "" {
		out = append(out, Candidate{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: v})
	}
	if v := subjectClaim(claims, m.OfficerID); v != "" {
		out = append(out, Candidate{Role: ruqiv1.Role_ROLE_OFFICER, Subject: v, Certificate: stringClaim(claims, m.OfficerCertificate)})
	}
	if m.SupervisorRole != "" && slices.Contains(listClaim(claims, m.Role), m.SupervisorRole) {
		// A supervisor with no region claim maps to an empty region, which
		// the caller refuses with a message, rather than to nothing.
		out = append(out, Candidate{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: subjectClaim(claims, m.SupervisorRegion)})
	}
	if v := subjectClaim(claims, m.AgencyAdmin); v != "" {
		out = append(out, Candidate{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: v})
	}
	if v := subjectClaim(claims, m.AgencyHead); v != "" {
		out = append(out, Candidate{Role: ruqiv1.Role_ROLE_AGENCY_HEAD, Subject: v})
	}
	return out
}

// DisplayName is the account's name for records.
func (m ClaimMap) DisplayName(claims map[string]any) string {
	name := m.Name
	if name == "" {
		name = "name"
	}
	return stringClaim(claims, name)
}

// subjectClaim reads a claim that names a principal as ids typed by people
// are read everywhere else (domain.NormalizeID: full-width folded, upper
// case): a provider that sends a USCC in lower case signed nobody in,
// where an administrator's token for the same USCC was read (a review,
// 2026-12-06).
func subjectClaim(claims map[string]any, name string) string {
	return domain.NormalizeID(stringClaim(claims, name))
}

func stringClaim(claims map[string]any, name string) string {
	if name == "" {
		return ""
	}
	s, _ := claims[name].(string)
	return strings.TrimSpace(s)
}

func listClaim(claims map[string]any, name string) []string {
	switch v := claims[name].(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Provider is the configured identity provider. Its discovery document is
// read on first use, not at start, so that a provider that is down when
// ruqi starts delays sign-in only, never the server.
type Provider struct {
	Config Config

	mu sync.Mutex
	p  *oidc.Provider
	// verifier checks ID tokens with keys (keySet), not the key set of
	// go-oidc's provider, which fetches the keys again on every token it
	// cannot verify.
	verifier *oidc.IDTokenVerifier
	now      func() time.Time
	// warned is when a failed discovery was last logged (under mu).
	warned time.Time
}

// New returns the provider of cfg.
func New(cfg Config) *Provider { return &Provider{Config: cfg, now: time.Now} }

// discoveryTimeout bounds a discovery request on a sign-in.
const discoveryTimeout = 10 * time.Second

func (p *Provider) provider(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.p != nil {
		return p.p, nil
	}
	// Detached from the request: a discovery that one caller gave up on
	// still serves the next.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), discoveryTimeout)
	defer cancel()
	op, err := oidc.NewProvider(dctx, p.Config.Issuer)
	if err != nil {
		// The cause goes to the operator's log: a provider down and an
		// issuer mistyped in -oidc-config ("…/" for "…", which discovery
		// refuses as another issuer) both read "try later" on the page,
		// and nothing was logged (a trial of sign-in, 2026-12-07).
		// At most once a minute: SignIn is public, and a caller could
		// otherwise fill the log while the provider is down (a review).
		if now := time.Now(); now.Sub(p.warned) >= time.Minute {
			p.warned = now
			slog.WarnContext(ctx, "identity provider: discovery failed; check -oidc-config's issuer, which must be exactly the provider's", "issuer", p.Config.Issuer, "err", err)
		}
		if strings.Contains(err.Error(), "did not match the issuer URL returned by provider") {
			return nil, domain.Unavailablef("IDP_MISCONFIGURED", "政务服务账号登录暂不可用：服务器配置的身份提供方地址与提供方自报的不符，请联系管理员核对配置（-oidc-config 的 issuer）")
		}
		return nil, domain.Unavailablef("IDP_UNAVAILABLE", "暂时无法连接政务服务账号的身份提供方，请稍后重试")
	}
	var meta struct {
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := op.Claims(&meta); err != nil || meta.JWKSURI == "" {
		if now := time.Now(); now.Sub(p.warned) >= time.Minute {
			p.warned = now
			slog.WarnContext(ctx, "identity provider: its discovery document names no jwks_uri", "issuer", p.Config.Issuer, "err", err)
		}
		return nil, domain.Unavailablef("IDP_UNAVAILABLE", "暂时无法连接政务服务账号的身份提供方，请稍后重试")
	}
	var algs []string
	for _, a := range meta.Algs {
		if slices.Contains(signingAlgs, jose.SignatureAlgorithm(a)) {
			algs = append(algs, a)
		}
	}
	// The audience is checked in Verify against both clients.
	p.verifier = oidc.NewVerifier(p.Config.Issuer, &keySet{uri: meta.JWKSURI, now: p.now},
		&oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: algs})
	p.p = op
	return op, nil
}

// OAuth2 is the code-flow configuration of the given client: the web pages'
// (with its secret) or the command line's (public, PKCE only).
func (p *Provider) OAuth2(ctx context.Context, clientID, secret, redirectURL string) (*oauth2.Config, error) {
	op, err := p.provider(ctx)
	if err != nil {
		return nil, err
	}
	scopes := append([]string{oidc.ScopeOpenID}, p.Config.Scopes...)
	return &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: redirectURL, Endpoint: op.Endpoint(), Scopes: scopes}, nil
}

// Identity is a verified ID token's account.
type Identity struct {
	Issuer, Subject string
	Claims          map[string]any
	Expiry          time.Time
	// ByCLI: the token was issued to `ruqi login`'s client, not the web
	// pages'; said in the session's description, for an administrator
	// choosing which to revoke.
	ByCLI bool
}

// Verify checks an ID token: the provider's signature, the issuer, an
// audience of one of our clients, the expiry and the nonce. Each refusal is
// an Unauthenticated domain error that says what was wrong.
func (p *Provider) Verify(ctx context.Context, rawIDToken, nonce string) (*Identity, error) {
	if strings.TrimSpace(rawIDToken) == "" {
		return nil, domain.Invalidf("ID_TOKEN_MISSING", "请提供身份提供方签发的 ID 令牌")
	}
	if len(rawIDToken) > 16<<10 {
		return nil, domain.Invalidf("ID_TOKEN_MALFORMED", "ID 令牌过长，不是有效的身份令牌")
	}
	if _, err := p.provider(ctx); err != nil {
		return nil, err
	}
	// A token of another provider would fail on its signature (we do not
	// know its keys); reading its claimed issuer first lets the refusal
	// say what is actually wrong. Nothing read here is trusted: it only
	// chooses the words of a refusal.
	if iss, ok := unverifiedIssuer(rawIDToken); ok && iss != p.Config.Issuer {
		return nil, domain.Unauthenticatedf("ID_TOKEN_ISSUER", "登录被拒绝：身份令牌不是由本系统配置的身份提供方签发的（签发方 %.100q）", iss)
	}
	tok, err := p.verifier.Verify(ctx, rawIDToken)
	if err != nil {
		return nil, refusal(err)
	}
	if !slices.Contains(tok.Audience, p.Config.ClientID) && (p.Config.CLIClientID == "" || !slices.Contains(tok.Audience, p.Config.CLIClientID)) {
		return nil, domain.Unauthenticatedf("ID_TOKEN_AUDIENCE", "登录被拒绝：此身份令牌不是签发给本系统的（受众不符），请从本系统的登录入口重新登录")
	}
	// OpenID Connect Core 3.1.3.7: a token with several audiences, or
	// naming its authorized party, must have been issued to one of ours.
	var azp struct {
		AZP string `json:"azp"`
	}
	_ = tok.Claims(&azp)
	if (len(tok.Audience) > 1 || azp.AZP != "") && azp.AZP != p.Config.ClientID && (p.Config.CLIClientID == "" || azp.AZP != p.Config.CLIClientID) {
		return nil, domain.Unauthenticatedf("ID_TOKEN_AUDIENCE", "登录被拒绝：此身份令牌是签发给其他应用的（授权方不符），请从本系统的登录入口重新登录")
	}
	if nonce == "" || tok.Nonce != nonce {
		return nil, domain.Unauthenticatedf("ID_TOKEN_NONCE", "登录被拒绝：身份令牌与本次登录请求不符（可能是重放的令牌），请重新登录")
	}
	// The authorized party says which client asked, when the provider
	// names it: some put every client of a project in the audience (a
	// review, 2026-12-07: a CLI sign-in read 网页登录).
	byCLI := p.Config.CLIClientID != "" && !slices.Contains(tok.Audience, p.Config.ClientID)
	if azp.AZP != "" {
		// One client id for both (allowed) tells nothing: not a CLI's.
		byCLI = p.Config.CLIClientID != "" && azp.AZP == p.Config.CLIClientID && azp.AZP != p.Config.ClientID
	}
	id := &Identity{Issuer: tok.Issuer, Subject: tok.Subject, Expiry: tok.Expiry, ByCLI: byCLI}
	if err := tok.Claims(&id.Claims); err != nil {
		return nil, domain.Unauthenticatedf("ID_TOKEN_MALFORMED", "登录被拒绝：身份令牌的声明无法读取")
	}
	return id, nil
}

// refusal says why go-oidc refused a token. go-oidc has a type only for
// expiry; the other checks are told apart by their (stable) wording.
func refusal(err error) error {
	var exp *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &exp):
		return domain.Unauthenticatedf("ID_TOKEN_EXPIRED", "登录被拒绝：身份令牌已过期，请重新登录")
	case strings.Contains(msg, "issued by a different provider"):
		return domain.Unauthenticatedf("ID_TOKEN_ISSUER", "登录被拒绝：身份令牌不是由本系统配置的身份提供方签发的")
	// Before "signature": go-oidc words a key set's failure "failed to
	// verify signature: fetching keys …", and a provider whose keys could
	// not be fetched was reported as a token tampered with.
	case strings.Contains(msg, "fetching keys") || strings.Contains(msg, "get keys failed"):
		return domain.Unavailablef("IDP_UNAVAILABLE", "暂时无法取得身份提供方的签名公钥，请稍后重试")
	case strings.Contains(msg, "signature"):
		return domain.Unauthenticatedf("ID_TOKEN_SIGNATURE", "登录被拒绝：身份令牌的签名无效（令牌被篡改或不是身份提供方签发的）")
	case strings.Contains(msg, "malformed"):
		return domain.Unauthenticatedf("ID_TOKEN_MALFORMED", "登录被拒绝：不是有效的身份令牌")
	}
	return domain.Unauthenticatedf("ID_TOKEN_INVALID", "登录被拒绝：身份令牌未通过核验，请重新登录")
}

// unverifiedIssuer reads the iss claim of a JWT without verifying it.
func unverifiedIssuer(raw string) (string, bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(b, &c) != nil {
		return "", false
	}
	return c.Issuer, true
}
