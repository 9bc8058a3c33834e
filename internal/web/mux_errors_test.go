package web

import (
	"strings"
	"testing"
)

// Found by an operator's trial (2026-12-06): a form's address opened in the
// address bar (GET /dashboard/signin) answered "Method Not Allowed", and an
// address that is no page "404 page not found", in English on a Chinese
// site. Both are pages in Chinese now, with their status (and Allow); a
// handler's own refusal is left as it is.
func TestMuxErrors_InChinese(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		method, target string
		code           int
		want, english  string
	}{
		{"GET", "/dashboard/signin", 405, "不能直接打开", "Method Not Allowed"},
		{"GET", "/no/such/page", 404, "没有这个页面", "page not found"},
	} {
		r := f.do(c.method, c.target, nil)
		body := readBody(t, r)
		if r.StatusCode != c.code || !strings.Contains(body, c.want) || strings.Contains(body, c.english) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: %d %s %q, want %d with %q", c.method, c.target, r.StatusCode, r.Header.Get("Content-Type"), visible(body), c.code, c.want)
		}
		if c.code == 405 && r.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.target)
		}
	}
	// A handler's own refusal keeps its status and words.
	if r := f.do("GET", "/dashboard/report.csv", nil); r.StatusCode != 401 {
		t.Errorf("the CSV signed out: %d", r.StatusCode)
	}
}
