package service_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 双随机 draw leaves out the enterprises no proactive inspection may reach
// this year (the default policy: none of a grade A enterprise, 无事不扰), by
// range and by list, and says how many: a draw over 锦江区's 零售 picked a
// grade A enterprise whose registration was then refused FREQUENCY_CAP, a
// pick wasted (an agency's trial, 2026-12-06). A list of such enterprises
// only leaves nothing to draw from.
func TestDraw_GradeAEnterprises_LeftOut(t *testing.T) {
	e := newEnv(t, "")
	county := e.registrar(t, "AG-03") // 锦江区, 510104
	var gradeA, others []string
	for _, ent := range e.dir.GetEnterprises() {
		if ent.GetRegionCode() != "510104" {
			continue
		}
		if ent.GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_A {
			gradeA = append(gradeA, ent.GetUscc())
		} else {
			others = append(others, ent.GetUscc())
		}
	}
	if len(gradeA) == 0 || len(others) < 2 {
		t.Fatalf("the sample directory's 锦江区 has %d grade A enterprises and %d others", len(gradeA), len(others))
	}
	head := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-03")
	commit := func(title string, req *ruqiv1.CommitDrawRequest) (*ruqiv1.CommitDrawResponse, error) {
		req.Title, req.EnterpriseCount, req.OfficerPopulation, req.OfficerCount = title, 1, county.officers[:2], 2
		return ruqiv1.NewDrawServiceClient(e.cc).CommitDraw(e.as(head), req)
	}
	byRange, err := commit("12月双随机（范围）", &ruqiv1.CommitDrawRequest{EnterpriseFilter: &ruqiv1.EnterpriseFilter{RegionCode: "510104"}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(others)
	if got := byRange.GetDraw().GetEnterprisePopulation(); !slices.Equal(got, others) || int(byRange.GetEnterprisesLeftOut()) != len(gradeA) {
		t.Errorf("510104 by range: %d enterprises, %d left out; want the %d not of grade A, %d left out",
			len(got), byRange.GetEnterprisesLeftOut(), len(others), len(gradeA))
	}
	byList, err := commit("12月双随机（名单）", &ruqiv1.CommitDrawRequest{EnterprisePopulation: []string{others[0], gradeA[0], others[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if got := byList.GetDraw().GetEnterprisePopulation(); slices.Contains(got, gradeA[0]) || len(got) != 2 || byList.GetEnterprisesLeftOut() != 1 {
		t.Errorf("a list naming a grade A enterprise: %v, %d left out; want it left out", got, byList.GetEnterprisesLeftOut())
	}
	_, err = commit("12月双随机（仅A级）", &ruqiv1.CommitDrawRequest{EnterprisePopulation: gradeA[:1]})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "DRAW_POPULATION_EMPTY" {
		t.Errorf("a list of grade A enterprises only: %v, want FAILED_PRECONDITION DRAW_POPULATION_EMPTY", err)
	}
}
