// Package oidctest runs a real OpenID provider for tests: zitadel/oidc's
// op package with its example storage and login page, on a loopback port,
// with users whose ID tokens carry the claims a test gives them (a USCC,
// an officer id, a supervisor's role and region). It signs with its own
// key and checks its own clients, redirect URIs, PKCE and codes: a test
// gets only the tokens a real sign-in gets.
package oidctest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
	"golang.org/x/text/language"
)

// quiet drops the provider's request log. (SetupServer makes the logger it
// is given the process's default; only tests run this package.)
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// User is an account at the provider.
type User struct {
	ID, Username, Password string
	// Claims go into the user's ID tokens, besides the standard ones.
	Claims map[string]any
}

// Client is a relying party registered at the provider.
type Client struct {
	ID string
	// Secret makes a confidential web client; empty, a public native
	// client (PKCE only, any loopback port).
	Secret       string
	RedirectURIs []string
	// IDTokenLifetime defaults to an hour.
	IDTokenLifetime time.Duration
}

// Provider is a running OpenID provider.
type Provider struct {
	Issuer string

	mu      sync.Mutex
	clients map[string]*Client
	users   map[string]*User
	srv     *http.Server
}

// Start runs a provider on a free loopback port until the test ends.
func Start(t testing.TB, users ...User) *Provider {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Issuer: "http://" + lis.Addr().String(), clients: map[string]*Client{}, users: map[string]*User{}}
	for i := range users {
		u := users[i]
		if u.ID == "" {
			u.ID = u.Username
		}
		p.users[u.ID] = &u
	}
	st := &providerStorage{Storage: storage.NewStorageWithClients(userStore{p}, map[string]*storage.Client{}), p: p}
	p.srv = &http.Server{Handler: exampleop.SetupServer(p.Issuer, st, quiet, false), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(lis) }()
	t.Cleanup(func() { _ = p.srv.Close() })
	return p
}

// AddClient registers (or replaces) a client.
func (p *Provider) AddClient(c Client) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.IDTokenLifetime == 0 {
		c.IDTokenLifetime = time.Hour
	}
	p.clients[c.ID] = &c
}

// SetClaim changes one claim of a user.
func (p *Provider) SetClaim(userID, claim string, v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[userID].Claims[claim] = v
}

// providerStorage is the example storage with our clients and claims.
type providerStorage struct {
	*storage.Storage
	p *Provider
}

func (s *providerStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	c, ok := s.p.clients[id]
	if !ok {
		return nil, fmt.Errorf("client not found")
	}
	cp := *c
	return &client{c: &cp}, nil
}

func (s *providerStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	c, ok := s.p.clients[id]
	if !ok || c.Secret == "" || c.Secret != secret {
		return fmt.Errorf("invalid client")
	}
	return nil
}

// SetUserinfoFromRequest adds the user's own claims to the ID token.
func (s *providerStorage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if u := s.p.users[req.GetSubject()]; u != nil {
		for k, v := range u.Claims {
			ui.AppendClaims(k, v)
		}
	}
	return nil
}

type userStore struct{ p *Provider }

func (us userStore) GetUserByID(id string) *storage.User {
	us.p.mu.Lock()
	defer us.p.mu.Unlock()
	return us.user(us.p.users[id])
}

func (us userStore) GetUserByUsername(name string) *storage.User {
	us.p.mu.Lock()
	defer us.p.mu.Unlock()
	for _, u := range us.p.users {
		if u.Username == name {
			return us.user(u)
		}
	}
	return nil
}

func (userStore) ExampleClientID() string { return "service" }

func (userStore) user(u *User) *storage.User {
	if u == nil {
		return nil
	}
	return &storage.User{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.Username, PreferredLanguage: language.Chinese}
}

// client is an op.Client.
type client struct{ c *Client }

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	if c.c.Secret == "" {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.c.Secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string    { return "/login/username?authRequestID=" + id }
func (c *client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return c.c.IDTokenLifetime }

// DevMode allows http redirect URIs for the web client: tests run on
// loopback without TLS.
func (c *client) DevMode() bool { return c.c.Secret != "" }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }

var loginForm = regexp.MustCompile(`name="id" value="([^"]+)"`)

// Login signs user in at the provider, as a person at a browser would,
// starting from an authorization URL, and returns the URL the provider
// redirects back to (with code and state), without following it unless
// follow is set (a CLI's loopback listener must receive it).
func (p *Provider) Login(t testing.TB, authURL, username, password string, follow bool) *url.URL {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	var back *url.URL
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), p.Issuer) {
			back = req.URL
			if !follow {
				return http.ErrUseLastResponse
			}
		}
		return nil
	}}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatalf("open authorization URL: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginForm.FindSubmatch(body)
	if m == nil {
		t.Fatalf("provider did not show its login page (%s):\n%.500s", resp.Status, body)
	}
	resp, err = hc.PostForm(p.Issuer+"/login/username", url.Values{"id": {string(m[1])}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatalf("log in at the provider: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if back == nil {
		t.Fatalf("provider did not redirect back after login (%s):\n%.500s", resp.Status, body)
	}
	return back
}

// IDToken runs a whole authorization code flow with PKCE for a client, as
// its relying party would, and returns the ID token the provider issued
// and the nonce it carries. Tests use it to present real tokens where they
// do not belong (another audience, another issuer).
func (p *Provider) IDToken(t testing.TB, c Client, username, password string) (idToken, nonce string) {
	t.Helper()
	conf := oauth2.Config{ClientID: c.ID, ClientSecret: c.Secret, RedirectURL: c.RedirectURIs[0], Scopes: []string{oidc.ScopeOpenID},
		Endpoint: oauth2.Endpoint{AuthURL: p.Issuer + "/auth", TokenURL: p.Issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	if c.Secret == "" {
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	state, nonce, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	back := p.Login(t, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce)), username, password, false)
	if back.Query().Get("state") != state {
		t.Fatalf("provider returned state %q, sent %q", back.Query().Get("state"), state)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("provider returned no ID token")
	}
	return raw, nonce
}
