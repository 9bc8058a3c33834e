package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/code"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

const (
	ourUSCC   = "91510100MA6123456W"
	otherUSCC = "91510100MA61234570"
)

// signedCode returns the URL of a code for ourUSCC valid for the window
// [windowStart, +4h), and the public keys that verify it.
func signedCode(t *testing.T) (url string, keys []*ruqiv1.PublicKey) {
	t.Helper()
	key, err := code.NewKey(windowStart.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := code.Sign(key, code.Claims{
		TokenID:           make([]byte, 16),
		Issuer:            "ruqi",
		IssuedAt:          windowStart.Add(-time.Hour),
		NotBefore:         windowStart,
		Expiry:            windowStart.Add(4 * time.Hour),
		InspectionID:      "INS-0001",
		OfficerID:         "O-0001",
		CertificateNumber: "51010020240001",
		EnterpriseUSCC:    ourUSCC,
	})
	if err != nil {
		t.Fatal(err)
	}
	pub := &ruqiv1.PublicKey{KeyId: key.ID, Algorithm: "EdDSA", PublicKey: key.Public, Status: ruqiv1.KeyStatus_KEY_STATUS_ACTIVE}
	return code.URL("ruqi.example", code.EncodeToken(msg)), []*ruqiv1.PublicKey{pub}
}

func TestVerifyOffline(t *testing.T) {
	url, keys := signedCode(t)
	tok, err := code.ExtractToken(url)
	if err != nil {
		t.Fatal(err)
	}
	// Change one character in the middle of the token: a forged code.
	mid := len(tok) / 2
	flip := byte('A')
	if tok[mid] == 'A' {
		flip = 'B'
	}
	forged := tok[:mid] + string(flip) + tok[mid+1:]

	inWindow := windowStart.Add(time.Hour)
	tests := []struct {
		name    string
		scanned string
		as      string
		keys    []*ruqiv1.PublicKey
		now     time.Time
		want    ruqiv1.Verdict
	}{
		{"valid url", url, ourUSCC, keys, inWindow, ruqiv1.Verdict_VERDICT_VALID},
		{"valid bare token", strings.ToLower(tok), ourUSCC, keys, inWindow, ruqiv1.Verdict_VERDICT_VALID},
		{"other enterprise", url, otherUSCC, keys, inWindow, ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE},
		{"too early", url, ourUSCC, keys, windowStart.Add(-offlineClockLeeway - time.Second), ruqiv1.Verdict_VERDICT_NOT_YET_VALID},
		{"at nbf-leeway", url, ourUSCC, keys, windowStart.Add(-offlineClockLeeway), ruqiv1.Verdict_VERDICT_VALID},
		{"early within leeway", url, ourUSCC, keys, windowStart.Add(-offlineClockLeeway + time.Second), ruqiv1.Verdict_VERDICT_VALID},
		{"expired", url, ourUSCC, keys, windowStart.Add(4*time.Hour + offlineClockLeeway), ruqiv1.Verdict_VERDICT_EXPIRED},
		{"late within leeway", url, ourUSCC, keys, windowStart.Add(4*time.Hour + offlineClockLeeway - time.Second), ruqiv1.Verdict_VERDICT_VALID},
		{"other enterprise, too early", url, otherUSCC, keys, windowStart.Add(-time.Hour), ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE},
		{"key not cached", url, ourUSCC, nil, inWindow, ruqiv1.Verdict_VERDICT_UNKNOWN_KEY},
		{"forged", forged, ourUSCC, keys, inWindow, ruqiv1.Verdict_VERDICT_BAD_SIGNATURE},
		{"not a code", "hello", ourUSCC, keys, inWindow, ruqiv1.Verdict_VERDICT_MALFORMED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := verifyOffline(tt.scanned, tt.as, tt.keys, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tt.want {
				t.Errorf("verdict %v (%s), want %v", r.Verdict, r.Message, tt.want)
			}
			signed := tt.want != ruqiv1.Verdict_VERDICT_BAD_SIGNATURE && tt.want != ruqiv1.Verdict_VERDICT_UNKNOWN_KEY && tt.want != ruqiv1.Verdict_VERDICT_MALFORMED
			if (r.Claims != nil) != signed {
				t.Errorf("claims shown = %v, want %v: only a verified signature makes them worth showing", r.Claims != nil, signed)
			}
		})
	}
}

// TestCompanyScanOffline_ExitCodes runs the command end to end against a
// keys cache: 0 for a valid code, 3 for one that must not be let in.
func TestCompanyScanOffline_ExitCodes(t *testing.T) {
	url, keys := signedCode(t)
	cache := filepath.Join(t.TempDir(), "keys.json")
	if err := saveKeys(cache, &ruqiv1.ListPublicKeysResponse{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	testNow := windowStart.Add(time.Hour)

	for _, tt := range []struct {
		as   string
		want int
	}{{ourUSCC, exitOK}, {otherUSCC, exitNotValid}} {
		a, out, errOut := testApp(map[string]string{envKeysCache: cache})
		a.now = func() time.Time { return testNow }
		got := a.run([]string{"company", "scan", "--offline", "--as", tt.as, url})
		if got != tt.want {
			t.Errorf("--as %s: exit %d, want %d\n%s%s", tt.as, got, tt.want, out, errOut)
		}
		assertContains(t, out.String(), offlineNotice, "INS-0001", "51010020240001")
	}
}

func TestCompanyScanOffline_FromPNG(t *testing.T) {
	url, keys := signedCode(t)
	dir := t.TempDir()
	cache := filepath.Join(dir, "keys.json")
	if err := saveKeys(cache, &ruqiv1.ListPublicKeysResponse{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	img, err := code.QRPNG(url, 512)
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "code.png")
	if err := os.WriteFile(png, img, 0o644); err != nil {
		t.Fatal(err)
	}
	a, out, errOut := testApp(nil)
	a.now = func() time.Time { return windowStart.Add(time.Hour) }
	got := a.run([]string{"-o", "json", "company", "scan", "--offline", "--as", ourUSCC, "--keys-cache", cache, "--png", png})
	if got != exitOK {
		t.Fatalf("exit %d\n%s%s", got, out, errOut)
	}
	assertContains(t, out.String(), `"verdict": "VERDICT_VALID"`, `"offline": true`, `"inspectionId": "INS-0001"`)
}

func TestCompanyScanOffline_NoCacheIsAnError(t *testing.T) {
	a, _, errOut := testApp(map[string]string{envKeysCache: filepath.Join(t.TempDir(), "none.json")})
	if got := a.run([]string{"company", "scan", "--offline", "--as", ourUSCC, "TOKEN"}); got != exitError {
		t.Errorf("exit %d, want %d", got, exitError)
	}
	assertContains(t, errOut.String(), "ruqi keys fetch")
}
