package service_test

import (
	"testing"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A privacy and access trial, 2026-12-06, fixed since. A staff device (a front-desk phone enrolled by the
// enterprise's account) is there to scan officers' codes at the door. It
// authenticates as role enterprise, and every enterprise method but the
// device and enterprise-code management takes it (enterpriseAccount is
// checked only there): the phone evaluates the agency in the enterprise's
// name, once for the enterprise, so the account's own evaluation is then
// refused (ALREADY_EVALUATED); it complains in the enterprise's name. A
// lost or shared front-desk phone speaks for the enterprise well past its
// narrow job.
func TestDevice_NeitherEvaluatesNorComplains(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	id := a.closedVisit(t, uscc, start)
	account := a.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	sess := ruqiv1.NewSessionServiceClient(a.cc)
	enr, err := sess.CreateDeviceEnrolment(a.as(account), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sess.EnrolDevice(a.as(""), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	a.set(start.Add(90 * time.Minute))
	devErr := a.evaluateAs(dev.GetToken(), id, false, 1)
	t.Logf("device evaluates: %v", devErr)
	if devErr == nil {
		t.Errorf("the front-desk device evaluated inspection %s for the enterprise (overall 1)", id)
	}
	if err := a.evaluateAs(account, id, true, 5); err != nil {
		t.Errorf("the enterprise's account cannot give its own evaluation after the device's: %v", err)
	}
	if _, err := ruqiv1.NewEnterpriseServiceClient(a.cc).Complain(a.as(dev.GetToken()), &ruqiv1.ComplainRequest{InspectionId: id, Description: "前台手机代企业投诉"}); err == nil {
		t.Errorf("the front-desk device filed a complaint in the enterprise's name")
	}
}
