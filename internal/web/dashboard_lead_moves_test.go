package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// leadRow is the dashboard's row of lead id.
func leadRow(t *testing.T, page, id string) string {
	t.Helper()
	_, row, ok := strings.Cut(page, `id="lead-`+id+`"`)
	if !ok {
		t.Fatalf("lead %s is not on the dashboard:\n%s", id, visible(page))
	}
	row, _, _ = strings.Cut(row, "</tr>")
	return row
}

// Found by a 司法局 trial of the dashboard (2026-12-07): every lead's form
// offered every status, 核查中 first, whatever the lead's own: a lead just
// received offered 已整改 and 已移交纪委, a lead 核查中 offered 核查中 as
// its first choice, and a lead 已整改 or 已移交纪委, which is final, still
// had the form; each such choice came back refused (当前状态为…不能改为…)
// with the note typed for it gone. The form offers the lifecycle's next
// statuses only, and a final lead none.
func TestDashboard_LeadForm_OffersTheLifecyclesNextStatusesOnly(t *testing.T) {
	f := newFixture(t)
	_, id, sc := f.refusalLead()
	offered := func(row string) []string {
		var out []string
		for _, opt := range strings.Split(row, `<option value="`)[1:] {
			// "" is the reply alone (不改状态，只答复企业), not a status.
			if v, _, _ := strings.Cut(opt, `"`); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	steps := []struct {
		to   string   // the move made before reading the row; "" none
		want []string // the statuses the row's form offers
	}{
		{"", []string{"LEAD_STATUS_CHECKING", "LEAD_STATUS_UNFOUNDED"}},
		{"LEAD_STATUS_CHECKING", []string{"LEAD_STATUS_RECTIFIED", "LEAD_STATUS_TRANSFERRED", "LEAD_STATUS_UNFOUNDED"}},
		{"LEAD_STATUS_TRANSFERRED", nil},
	}
	for _, s := range steps {
		page := readBody(t, f.do("GET", "/dashboard", nil, sc))
		if s.to != "" {
			r := f.do("POST", "/dashboard/leads/"+id, url.Values{"csrf": {csrfOf(t, page)}, "status": {s.to}, "note": {"处理说明"}}, sc)
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("move to %s: %d %s", s.to, r.StatusCode, visible(readBody(t, r)))
			}
			page = readBody(t, f.do("GET", "/dashboard", nil, sc))
		}
		row := leadRow(t, page, id)
		if got := offered(row); strings.Join(got, ",") != strings.Join(s.want, ",") {
			t.Errorf("after %q the lead's form offers %v, want %v", s.to, got, s.want)
		}
		// A final lead changes status no more; the enterprise's own (a
		// refusal here) may still be answered (a review, 2026-12-08).
		if s.want == nil && (strings.Contains(row, `name="status"`) || !strings.Contains(row, `name="reply"`)) {
			t.Errorf("a lead 已移交纪委 (final): want no status to choose and a reply offered: %s", visible(row))
		}
	}
}
