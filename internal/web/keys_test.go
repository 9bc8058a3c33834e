package web

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func publishedKeys(t *testing.T, f *fixture) map[string]map[string]any {
	t.Helper()
	var body struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(f.do("GET", "/keys.json", nil).Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, k := range body.Keys {
		out[k["kid"].(string)] = k
	}
	return out
}

// A retired key stays in /keys.json at least until its last code's expiry
// plus the clock leeway, the span in which the server itself still accepts
// that code, so offline verifiers agree with the server. The store rounds a
// key's verify_until up to the next Beijing midnight (one write a day, not
// one per registration), so it goes after that midnight plus the leeway.
func TestKeysJSON_RetiredKey_PublishedUntilExpiryPlusLeeway(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	var now atomic.Int64
	now.Store(start.UnixNano())
	f := newFixtureAt(t, func() time.Time { return time.Unix(0, now.Load()) })
	old := f.code.GetKeyId()
	if _, err := ruqiv1.NewKeyServiceClient(f.api).RotateSigningKey(as(context.Background(), f.admin), &ruqiv1.RotateSigningKeyRequest{}); err != nil {
		t.Fatal(err)
	}
	exp := f.code.GetExpiresAt().AsTime()
	leeway := 2 * time.Minute // domain.DefaultLimits
	now.Store(exp.Add(leeway / 2).UnixNano())
	if _, ok := publishedKeys(t, f)[old]; !ok {
		t.Errorf("retired key %s gone %v after its last code's expiry, within the %v leeway", old, leeway/2, leeway)
	}
	d := exp.In(domain.Shanghai)
	midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, domain.Shanghai).AddDate(0, 0, 1)
	if !d.Equal(midnight.AddDate(0, 0, -1)) { // an expiry at midnight exactly is not rounded
		now.Store(exp.Add(leeway + time.Second).UnixNano())
		if _, ok := publishedKeys(t, f)[old]; !ok {
			t.Errorf("retired key %s gone before the midnight its verify_until is rounded to", old)
		}
	} else {
		midnight = midnight.AddDate(0, 0, -1)
	}
	now.Store(midnight.Add(leeway + time.Second).UnixNano())
	if _, ok := publishedKeys(t, f)[old]; ok {
		t.Errorf("retired key %s still published after its verify_until plus leeway", old)
	}
}

// x is the raw public key in base64url without padding (RFC 8037 §2).
func TestKeysJSON_X_IsBase64URLWithoutPadding(t *testing.T) {
	f := newFixture(t)
	for kid, k := range publishedKeys(t, f) {
		x, _ := k["x"].(string)
		raw, err := base64.RawURLEncoding.DecodeString(x)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			t.Errorf("key %s: x %q is not 32 bytes of unpadded base64url: %v", kid, x, err)
		}
	}
}

// The dashboard shows the leads a page at a time, with links between pages
// that keep the filter: it used to list every lead on one page.
func TestDashboard_Leads_Paged(t *testing.T) {
	f := newFixture(t)
	ctx := as(context.Background(), f.ent)
	for i := 0; i < leadsPerPage+7; i++ {
		if _, err := ruqiv1.NewEnterpriseServiceClient(f.api).Complain(ctx, &ruqiv1.ComplainRequest{OfficerClaimed: "张某", Description: fmt.Sprintf("投诉 %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	sc := &http.Cookie{Name: supervisorCookie, Value: f.sup}
	rows := func(body string) int {
		return strings.Count(body, `<tr id="lead-`) + strings.Count(body, `<tr class="updated" id="lead-`)
	}
	body := readBody(t, f.do("GET", "/dashboard", nil, sc))
	if n := rows(body); n != leadsPerPage || !strings.Contains(body, "第 1 / 2 页") {
		t.Fatalf("first page: %d rows, want %d and a page count", n, leadsPerPage)
	}
	i := strings.Index(body, `id="leads-next"`)
	j := strings.LastIndex(body[:i], `href="`)
	next, _, _ := strings.Cut(html.UnescapeString(body[j+len(`href="`):i-2]), "#")
	body = readBody(t, f.do("GET", next, nil, sc))
	if n := rows(body); n != 7 || !strings.Contains(body, "第 2 / 2 页") || !strings.Contains(body, `id="leads-prev"`) {
		t.Errorf("second page (%s): %d rows, want 7", next, n)
	}
}

// Signed out, the verify page names the officer and the enterprise, not only
// their ids; the names come only for a genuine code.
func TestVerifySignedOut_ShowsNames(t *testing.T) {
	f := newFixture(t)
	ctx := as(context.Background(), f.admin)
	offs, err := ruqiv1.NewDirectoryServiceClient(f.api).ListOfficers(ctx, &ruqiv1.ListOfficersRequest{AgencyId: "AG-01"})
	if err != nil {
		t.Fatal(err)
	}
	name := ""
	for _, o := range offs.GetOfficers() {
		if o.GetId() == f.code.GetOfficerId() {
			name = o.GetName()
		}
	}
	ent, err := ruqiv1.NewDirectoryServiceClient(f.api).GetEnterprise(ctx, &ruqiv1.GetEnterpriseRequest{Uscc: f.entUSCC})
	if err != nil || name == "" {
		t.Fatalf("officer %q, enterprise: %v", name, err)
	}
	body := readBody(t, f.do("GET", path(f.code.GetUrl()), nil))
	if !strings.Contains(body, name) || !strings.Contains(body, ent.GetEnterprise().GetName()) {
		t.Errorf("signed-out page lacks the names %q and %q:\n%s", name, ent.GetEnterprise().GetName(), body)
	}
	// Without a genuine code there is nothing to name.
	tok := f.code.GetToken()
	forged := tok[:len(tok)-10] + "AAAAAAAAAA"
	if _, err := ruqiv1.NewKeyServiceClient(f.api).DescribeCode(context.Background(), &ruqiv1.DescribeCodeRequest{Code: forged}); err == nil {
		t.Errorf("DescribeCode named a forged code")
	}
}
