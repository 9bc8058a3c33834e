package webtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// phone375 is the viewport the phone trial used: 375×812 CSS pixels
// (iPhone X/11 Pro/12 mini), three device pixels per CSS pixel.
func phone375() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)
}

// registerN registers an inspection of agency for uscc with the given
// officers (the agency's first n active ones) and returns every code.
func (s *server) registerN(smp sample, agency, uscc string, officers int, from, to time.Time, reason string) []*ruqiv1.InspectionCode {
	s.t.Helper()
	os, items := smp.officersOf[agency], smp.itemsOf[agency]
	tok := s.issue(ruqiv1.Role_ROLE_OFFICER, os[0])
	resp, err := ruqiv1.NewInspectionServiceClient(s.conn()).RegisterInspection(s.as(tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: items[:2], OfficerIds: os[:officers],
		WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(to),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: reason,
	})
	if err != nil {
		s.t.Fatalf("register %s for %s: %v", agency, uscc, err)
	}
	return resp.GetCodes()
}

// closeWithResults records a result for both items and closes the inspection.
func (s *server) closeWithResults(smp sample, agency string, c *ruqiv1.InspectionCode) {
	s.t.Helper()
	tok := s.issue(ruqiv1.Role_ROLE_OFFICER, smp.officersOf[agency][0])
	items := smp.itemsOf[agency][:2]
	_, err := ruqiv1.NewInspectionServiceClient(s.conn()).RecordResult(s.as(tok), &ruqiv1.RecordResultRequest{
		InspectionId: c.GetInspectionId(), Close: true, Summary: "检查完毕",
		Items: []*ruqiv1.ItemResult{
			{CheckItemId: items[0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
			{CheckItemId: items[1], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, RectificationDeadline: timestamppb.New(time.Now().Add(30 * 24 * time.Hour)), Note: "灭火器过期"},
		},
	})
	if err != nil {
		s.t.Fatalf("record result: %v", err)
	}
}

// signInPhone opens path on a phone and signs in with tok on its form.
func signInPhone(t *testing.T, p context.Context, url, tok, waitFor string) {
	t.Helper()
	do(t, p, "open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#token")))
	do(t, p, "sign in", chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Submit(chromedp.CSS("#token")), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}
func pick(s, want string) string {
	i := strings.Index(s, want)
	if i < 0 {
		return ""
	}
	r := []rune(s[i:])
	return string(r[:min(len(r), 60)])
}
