package inspection_test

import (
	"context"
	"testing"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Live figures, shares from the first evaluation, are for those who may
// list each evaluation (supervisors, administrators) and no one else: the
// core read every role but officer and agency administrator as live, so an
// agency's head (or an enterprise), were the role table ever to let it
// call, would read the live sums of any agency it named, one enterprise's
// answers at a time. Whoever is neither side is refused. The agency's head
// is of the agency's side (since 2026-12-06): its own agency's batched
// sums, never another agency's.
func TestEvaluationSummary_LiveOnlyForSupervisorsAndAdministrators(t *testing.T) {
	now := midMonth()
	st := fixture(t, now)
	head := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_HEAD, Subject: "AG-1", TokenID: "tok-h"}
	if s := summaryOf(t, st, head, now); s.GetLive() || s.GetAgencyId() != "AG-1" {
		t.Errorf("the agency's head reads %v; want its agency's batched figures", s)
	}
	err := st.View(context.Background(), func(r store.Reader) error {
		_, err := inspection.EvaluationSummary(r, head, now, "AG-2")
		return err
	})
	if domain.ReasonOf(err) != "OTHER_AGENCY" {
		t.Errorf("the head of AG-1 asking for AG-2's evaluations: %v, want OTHER_AGENCY", err)
	}
	for _, p := range []auth.Principal{
		{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, TokenID: "tok-e"},
		{Role: ruqiv1.Role_ROLE_UNSPECIFIED, Subject: "x", TokenID: "tok-x"},
	} {
		err := st.View(context.Background(), func(r store.Reader) error {
			s, err := inspection.EvaluationSummary(r, p, now, "AG-1")
			if err == nil && s.GetLive() {
				t.Errorf("%v reads the live figures: %v", p.Role, s)
			}
			return err
		})
		if domain.KindOf(err) != domain.KindPermissionDenied {
			t.Errorf("%v: %v, want PermissionDenied", p.Role, err)
		}
	}
	for _, p := range []auth.Principal{supervisor, {Role: ruqiv1.Role_ROLE_ADMIN, Subject: "root", TokenID: "tok-a"}} {
		if s := summaryOf(t, st, p, now); !s.GetLive() {
			t.Errorf("%v: %v, want the live figures", p.Role, s)
		}
	}
	if s := summaryOf(t, st, auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1", TokenID: "tok-aa"}, now); s.GetLive() {
		t.Errorf("the agency reads live figures: %v", s)
	}
}
