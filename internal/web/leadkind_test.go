package web

import (
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 司法局 trial of the dashboard (2026-12-06), fixed since: a lead opened by an
// accompanying supervisor's record (伴随监督发现问题) is listed on /dashboard
// with an empty kind, where every other lead names its kind; the CLI
// (`ruqi supervisor leads`) names it. Every kind a lead can have must have
// its label on the page.
func TestDashboard_EveryLeadKindHasALabel(t *testing.T) {
	for v, name := range ruqiv1.LeadKind_name {
		k := ruqiv1.LeadKind(v)
		if k == ruqiv1.LeadKind_LEAD_KIND_UNSPECIFIED {
			continue
		}
		if got := leadOf(&ruqiv1.Lead{Id: "L-0000000000000001", Kind: k}).Kind; got == "" {
			t.Errorf("lead kind %s: the dashboard shows no kind", name)
		}
	}
}
