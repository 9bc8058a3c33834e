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
