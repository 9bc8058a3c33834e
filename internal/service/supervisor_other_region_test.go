package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 36ea673 answered a supervisor attaching to another region's inspection
// as for an id nobody registered, since "not in your region" told it the
// inspection exists. The same supervisor reading that inspection, or its
// accompaniments, was still told OTHER_REGION naming it: whichever call it
// tried, it learned the same. Every call a supervisor makes on another
// region's inspection now reads as one on an unknown id, word for word.
func TestSupervisor_OtherRegionsInspection_ReadsAsUnknownEverywhere(t *testing.T) {
	f := newDoorFixture(t)
	id := f.register(t, regionE1, f.t0.Add(time.Hour), f.t0.Add(3*time.Hour), f.r.officers[:2]).GetInspection().GetId()
	missing := id[:len(id)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(id, "A")]
	other := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510107")
	ins := ruqiv1.NewInspectionServiceClient(f.e.cc)
	sv := ruqiv1.NewSupervisionServiceClient(f.e.cc)
	calls := map[string]func(id string) error{
		"GetInspection": func(id string) error {
			_, err := ins.GetInspection(f.e.as(other), &ruqiv1.GetInspectionRequest{InspectionId: id})
			return err
		},
		"ListAccompaniments": func(id string) error {
			_, err := sv.ListAccompaniments(f.e.as(other), &ruqiv1.ListAccompanimentsRequest{InspectionId: id})
			return err
		},
		"AttachSupervisor": func(id string) error {
			_, err := sv.AttachSupervisor(f.e.as(other), &ruqiv1.AttachSupervisorRequest{InspectionId: id, SupervisorName: "李监督"})
			return err
		},
	}
	for name, call := range calls {
		err, unknown := call(id), call(missing)
		if reasonOf(err) != "INSPECTION_UNKNOWN" || status.Code(err) != status.Code(unknown) ||
			strings.ReplaceAll(status.Convert(unknown).Message(), missing, id) != status.Convert(err).Message() {
			t.Errorf("%s of another region's inspection: %v; of an unknown id: %v; want them alike", name, err, unknown)
		}
	}
	// The region's own supervisor still reads it.
	own := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	if _, err := ins.GetInspection(f.e.as(own), &ruqiv1.GetInspectionRequest{InspectionId: id}); err != nil {
		t.Errorf("the region's supervisor reading its inspection: %v", err)
	}
}
