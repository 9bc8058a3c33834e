package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// A complaint whose text is not UTF-8 (a phone's broken encoding, a
// script) is the person's mistake: 400 with a page saying what to fix.
// Found by a trial of bad input (2026-12-06): it was answered 502
// "服务器内部错误，已记录" (the in-process gRPC client could not marshal the
// string), and the page repeated the bytes that are not UTF-8.
func TestComplain_TextNotUTF8_IsTheFormsMistake(t *testing.T) {
	f := newFixture(t)
	ec := f.signInEnterprise(f.ent)
	cp := readBody(t, f.do("GET", "/complain", nil, ec))
	r := f.do("POST", "/complain", url.Values{"csrf": {csrfOf(t, cp)}, "officer": {"张某"}, "description": {"未出示\xff\xfe入企码"}}, ec)
	body := readBody(t, r)
	if r.StatusCode != http.StatusBadRequest || strings.Contains(body, "服务器内部错误") {
		t.Errorf("complaint not UTF-8: %d %s", r.StatusCode, visible(body))
	}
	if !utf8.ValidString(body) {
		t.Errorf("the page repeats bytes that are not UTF-8")
	}
}

// The public plans page's filter is a form too (<form method="get"
// action="/plans">): a region that is not UTF-8 is the sender's mistake, a
// 400 page as parseForm gives a POST form, not the in-process client's
// failure to encode the request shown as 服务器内部错误 (found by a review,
// 2026-12-06).
func TestPlans_RegionNotUTF8_IsTheFormsMistake(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/plans?region=51%FF%FE", nil)
	body := readBody(t, r)
	if r.StatusCode != http.StatusBadRequest || strings.Contains(body, "服务器内部错误") {
		t.Errorf("plans filter not UTF-8: %d %s", r.StatusCode, visible(body))
	}
	if !utf8.ValidString(body) {
		t.Errorf("the page repeats bytes that are not UTF-8")
	}
}

// A path whose escapes decode to bytes that are not UTF-8 is the sender's
// mistake as a query is: a red-team trial (2026-12-06) found
// /draws/%FF%FE answered 503 with the in-process client's English
// ("grpc: error while marshaling: string field contains invalid UTF-8"),
// and /enrol/%FF%FE and a device's revocation 502 "服务器内部错误，已记录":
// queryInUTF8 checked the query only, and a path value went to the API as
// it was.
func TestPath_NotUTF8_IsTheSendersMistake(t *testing.T) {
	f := newFixture(t)
	ec := f.signInEnterprise(f.ent)
	dp := readBody(t, f.do("GET", "/devices", nil, ec))
	for _, c := range []struct {
		method, target string
		form           url.Values
	}{
		{"GET", "/draws/%FF%FE", nil},
		{"GET", "/draws/%FF.json", nil},
		{"GET", "/enrol/%FF%FE", nil},
		{"POST", "/enrol/rq_%FF", url.Values{"replace": {"yes"}}},
		{"POST", "/devices/%FF%FE/revoke", url.Values{"csrf": {csrfOf(t, dp)}}},
	} {
		r := f.do(c.method, c.target, c.form, ec)
		body := readBody(t, r)
		if r.StatusCode != http.StatusBadRequest || strings.Contains(body, "服务器内部错误") || strings.Contains(body, "grpc:") {
			t.Errorf("%s %s: %d %s", c.method, c.target, r.StatusCode, visible(body))
		}
		if !utf8.ValidString(body) {
			t.Errorf("%s %s: the page repeats bytes that are not UTF-8", c.method, c.target)
		}
	}
	// What a verify page is opened with is a scanned text: not a code, said
	// as the scan's verdict, not refused as a form.
	r := f.do("GET", "/V/AB%FF%FE", nil, ec)
	if body := readBody(t, r); r.StatusCode == http.StatusBadRequest || !strings.Contains(body, "不是有效的入企码") {
		t.Errorf("GET /V/AB%%FF%%FE: %d %s, want the scan's verdict", r.StatusCode, visible(body))
	}
}
