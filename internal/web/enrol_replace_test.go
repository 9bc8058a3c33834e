package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A device-enrolment link of another enterprise, opened on a phone signed
// in as enterprise A (a lure: "please bind your front desk"), must not swap
// the phone's enterprise in one click: the page says that binding replaces
// the sign-in, a confirmation without the box ticked binds nothing and
// spends nothing, and a binding that replaces A's session signs it out.
// (Found by a read-only review, 2026-12-03.)
func TestEnrol_ReplacingASignIn_AsksFirstAndSignsTheOldOneOut(t *testing.T) {
	f := newFixture(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dir ruqiv1.Directory
	if err := protojson.Unmarshal(b, &dir); err != nil {
		t.Fatal(err)
	}
	var other *ruqiv1.Enterprise
	for _, e := range dir.GetEnterprises() {
		if e.GetUscc() != f.entUSCC {
			other = e
			break
		}
	}
	bTok := f.issue(ruqiv1.Role_ROLE_ENTERPRISE, other.GetUscc())
	enr, err := ruqiv1.NewSessionServiceClient(f.api).CreateDeviceEnrolment(as(context.Background(), bTok), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	// Enterprise A's phone is signed in, as one of A's front-desk devices.
	aEnr, err := ruqiv1.NewSessionServiceClient(f.api).CreateDeviceEnrolment(as(context.Background(), f.ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "A 前台"})
	if err != nil {
		t.Fatal(err)
	}
	aCookie := cookieOf(t, f.do("POST", "/enrol/"+aEnr.GetCode(), url.Values{}), enterpriseCookie)
	works := func() error {
		_, err := ruqiv1.NewLogServiceClient(f.api).ListReceipts(as(context.Background(), aCookie.Value), &ruqiv1.ListReceiptsRequest{})
		return err
	}
	if err := works(); err != nil {
		t.Fatalf("A's device session before: %v", err)
	}
	page := readBody(t, f.do("GET", "/enrol/"+enr.GetCode(), nil, aCookie))
	if !strings.Contains(page, "当前已登录企业账号") || !strings.Contains(page, `name="replace"`) {
		t.Fatalf("the confirm page of a signed-in phone does not say that binding replaces the sign-in:\n%s", page)
	}
	// It names the enterprise the code binds to: B, not the phone's A.
	if !strings.Contains(page, other.GetName()) || !strings.Contains(page, other.GetUscc()) {
		t.Fatalf("the confirm page does not name the code's enterprise %s %s:\n%s", other.GetName(), other.GetUscc(), page)
	}
	resp := f.do("POST", "/enrol/"+enr.GetCode(), url.Values{}, aCookie)
	if body := readBody(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "绑定二维码未被使用") {
		t.Fatalf("binding without ticking the box: %d\n%s", resp.StatusCode, body)
	}
	for _, c := range resp.Cookies() {
		if c.Name == enterpriseCookie {
			t.Fatalf("binding without ticking the box set the session cookie")
		}
	}
	resp = f.do("POST", "/enrol/"+enr.GetCode(), url.Values{"replace": {"yes"}}, aCookie)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("binding with the box ticked: %d (the code must still be good)\n%s", resp.StatusCode, readBody(t, resp))
	}
	if c := cookieOf(t, resp, enterpriseCookie); c.Value == aCookie.Value {
		t.Fatal("the binding kept A's sign-in")
	}
	// A's replaced session no longer works.
	if err := works(); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("A's replaced session after the binding: %v, want it signed out", err)
	}
}

// TestEnrol_PageOfASpentCode_SaysSoAndOffersNoForm: a code used already (or
// never issued) names no enterprise and offers nothing to confirm.
func TestEnrol_PageOfASpentCode_SaysSoAndOffersNoForm(t *testing.T) {
	f := newFixture(t)
	enr, err := ruqiv1.NewSessionServiceClient(f.api).CreateDeviceEnrolment(as(context.Background(), f.ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	if resp := f.do("POST", "/enrol/"+enr.GetCode(), url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("binding: %d\n%s", resp.StatusCode, readBody(t, resp))
	}
	for _, code := range []string{enr.GetCode(), "NOTACODE"} {
		resp := f.do("GET", "/enrol/"+code, nil)
		page := readBody(t, resp)
		if resp.StatusCode == http.StatusOK || !strings.Contains(page, "已使用或已过期") || strings.Contains(page, "enrol-confirm") || strings.Contains(page, f.entUSCC) {
			t.Errorf("the page of code %.8s…: %d\n%s", code, resp.StatusCode, page)
		}
	}
}
