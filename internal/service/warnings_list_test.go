package service_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/service"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The dashboard counted 频次预警 and 超出上限 but named no enterprise, and
// the only way to find them was paging the whole event log (a 司法局 trial,
// 2026-12-06). ListEvents lists events of the types asked, the log's
// latest events only when asked so, and a supervisor still its region's.
func TestListEvents_WarningsOfTheLatestEvents(t *testing.T) {
	c := newCalEnv(t, bj(2026, 11, 28, 10, 0))
	uscc := c.enterpriseOfGrade(t, ruqiv1.CreditGrade_CREDIT_GRADE_B)
	a, b := c.registrar(t, "AG-01"), c.registrar(t, "AG-02")
	routine := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	if _, err := reg(a, uscc, bj(2026, 12, 1, 9, 0), bj(2026, 12, 1, 11, 0), routine, ""); err != nil {
		t.Fatal(err)
	}
	second, err := reg(b, uscc, bj(2026, 12, 1, 14, 0), bj(2026, 12, 1, 15, 0), routine, "")
	if err != nil || len(second.GetWarnings()) == 0 {
		t.Fatalf("second visit of the day: %v, warnings %v; want a frequency warning", err, second.GetWarnings())
	}
	warnings := []ruqiv1.EventType{ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING, ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED}
	list := func(tok string, req *ruqiv1.ListEventsRequest) []*ruqiv1.Event {
		t.Helper()
		resp, err := ruqiv1.NewAdminServiceClient(c.cc).ListEvents(c.as(tok), req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetEvents()
	}
	sup := c.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	got := list(sup, &ruqiv1.ListEventsRequest{Types: warnings})
	if len(got) != 1 || got[0].GetType() != ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING || got[0].GetEnterpriseUscc() != uscc ||
		got[0].GetInspectionId() != second.GetInspection().GetId() {
		t.Fatalf("the region's warnings: %v; want the one frequency warning of %s, naming the second inspection", got, uscc)
	}
	if other := list(c.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510600"), &ruqiv1.ListEventsRequest{Types: warnings}); len(other) != 0 {
		t.Errorf("another city's supervisor sees %d of this region's warnings", len(other))
	}
	// The latest events only: a window of one event, the last, which is
	// not the warning (codes were issued after it).
	all := list(c.admin, &ruqiv1.ListEventsRequest{})
	last := all[len(all)-1].GetSeq()
	defer service.SetMaxEventsExamined(1)()
	if got := list(sup, &ruqiv1.ListEventsRequest{Types: warnings, Latest: true}); len(got) != 0 {
		t.Errorf("the last event's window lists %v, want no warning", got)
	}
	if got := list(c.admin, &ruqiv1.ListEventsRequest{Latest: true}); len(got) != 1 || got[0].GetSeq() != last {
		t.Errorf("the last event's window lists %v, want the event %d alone", got, last)
	}
	_, err = ruqiv1.NewAdminServiceClient(c.cc).ListEvents(c.as(c.admin), &ruqiv1.ListEventsRequest{Types: []ruqiv1.EventType{ruqiv1.EventType_EVENT_TYPE_UNSPECIFIED}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("a filter by no type: %v, want InvalidArgument", err)
	}
}

// A list of event types is searched for each event a call reads: a
// message of a million repeats was a million comparisons for each of the
// 50,000 events, minutes of a core for one supervisor's call (a review).
// A list longer than there are types is refused; one with repeats within
// that is read as the set it is.
func TestListEvents_TypesListLongerThanTheTypes_Refused(t *testing.T) {
	c := newCalEnv(t, bj(2026, 11, 28, 10, 0))
	many := make([]ruqiv1.EventType, 100000)
	for i := range many {
		many[i] = ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED
	}
	_, err := ruqiv1.NewAdminServiceClient(c.cc).ListEvents(c.as(c.admin), &ruqiv1.ListEventsRequest{Types: many})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("a list of %d types: %v, want InvalidArgument", len(many), err)
	}
	all, err := ruqiv1.NewAdminServiceClient(c.cc).ListEvents(c.as(c.admin), &ruqiv1.ListEventsRequest{})
	if err != nil || len(all.GetEvents()) == 0 {
		t.Fatalf("the log: %v %v", all, err)
	}
	first := all.GetEvents()[0].GetType()
	twice, err := ruqiv1.NewAdminServiceClient(c.cc).ListEvents(c.as(c.admin), &ruqiv1.ListEventsRequest{Types: []ruqiv1.EventType{first, first}})
	if err != nil || len(twice.GetEvents()) == 0 || twice.GetEvents()[0].GetSeq() != all.GetEvents()[0].GetSeq() {
		t.Errorf("a type asked twice: %v %v, want its events", twice, err)
	}
}
