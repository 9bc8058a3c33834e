package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The front desk (a staff device, which may scan and refuse but not
// evaluate) scans a closed code that someone presents again at the door: no
// tick, and the refusal is offered. Found by a review (2026-12-06): the page
// read "✓ 检查已办结" and told the enterprise it may refuse, offering only
// the evaluation form, which a device is refused (DEVICE_NOT_ACCOUNT).
func TestClosedCode_FrontDeskAtTheDoor_NoTickAndARefusal(t *testing.T) {
	f := newFixture(t)
	ctx := as(context.Background(), f.officer)
	if _, err := ruqiv1.NewInspectionServiceClient(f.api).RecordResult(ctx, &ruqiv1.RecordResultRequest{InspectionId: f.code.GetInspectionId(), Items: []*ruqiv1.ItemResult{
		{CheckItemId: "CI-0001", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
		{CheckItemId: "CI-0004", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
	}, Close: true}); err != nil {
		t.Fatal(err)
	}
	enr, err := ruqiv1.NewSessionServiceClient(f.api).CreateDeviceEnrolment(as(context.Background(), f.ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev := cookieOf(t, f.do("POST", "/enrol/"+enr.GetCode(), url.Values{}), enterpriseCookie)
	body := readBody(t, f.do("GET", path(f.code.GetUrl()), nil, dev))
	verdict := regexp.MustCompile(`(?s)<div class="banner ([a-z]+)" role="status" id="verdict"><span class="icon">([^<]*)</span><div class="title">([^<]*)</div>`).FindStringSubmatch(body)
	if verdict == nil {
		t.Fatalf("no verdict banner: %s", visible(body))
	}
	t.Logf("front desk scanning a closed code: banner class=%q icon=%q title=%q; refuse form %v; evaluate form %v",
		verdict[1], verdict[2], verdict[3], strings.Contains(body, `/refuse"`), strings.Contains(body, `/evaluate"`))
	if verdict[2] == "✓" {
		t.Errorf("the front desk at the door is shown ✓ (%s, %q) for a code that admits no one", verdict[1], verdict[3])
	}
	if strings.Contains(body, "企业有权拒绝") && !strings.Contains(body, `action="/V/`+path(f.code.GetUrl())[3:]+`/refuse"`) {
		t.Errorf("the page says the enterprise may refuse but offers no refusal form")
	}
}
