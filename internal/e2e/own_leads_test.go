package e2e

import (
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An enterprise follows its complaint with `ruqi company leads` against the
// real server: its number, where the 司法局 has it, the step's date; not
// the 司法局's note. The complaint's answer says where to look.
func TestCompanyLeads_FollowsItsComplaint(t *testing.T) {
	w := newWorld(t)
	ent := w.issueToken("enterprise", w.f.entA)
	out := w.mustCLI(ent, "company", "complain", "--officer", "张某", "--description", "未出示入企码即进入仓库拍照")
	if !strings.Contains(out, "ruqi company leads") {
		t.Errorf("the complaint's answer does not say where to follow it:\n%s", out)
	}
	lead := strings.TrimSpace(w.mustCLI(ent, "company", "complain", "-q", "--description", "第二件：检查人员索要样品未开收据"))
	if out := w.mustCLI(ent, "company", "leads"); !strings.Contains(out, lead) || !strings.Contains(out, "已接收") || !strings.Contains(out, "共 2 条") {
		t.Fatalf("company leads before any step:\n%s", out)
	}
	sup := w.issueToken("supervisor", "510000")
	w.mustCLI(sup, "supervisor", "lead", "update", "--lead", lead, "--status", "checking", "--note", "内部：已责令该局退还样品",
		"--reply", "已受理，正在向该局核实")
	out = w.mustCLI(ent, "company", "leads")
	if !strings.Contains(out, "核查中") || strings.Contains(out, "退还样品") || !strings.Contains(out, "已受理，正在向该局核实") {
		t.Errorf("company leads after the 司法局's step: want 核查中 and its reply, not its note:\n%s", out)
	}
	// Closed, then answered with a reply alone: the status stays.
	w.mustCLI(sup, "supervisor", "lead", "update", "--lead", lead, "--status", "unfounded", "--note", "内部：样品已退还")
	w.mustCLI(sup, "supervisor", "lead", "update", "--lead", lead, "--reply", "补充：该局已退还样品并书面说明")
	out = w.mustCLI(ent, "company", "leads")
	if !strings.Contains(out, "查无实据") || !strings.Contains(out, "补充：该局已退还样品并书面说明") {
		t.Errorf("company leads after a reply to the closed lead:\n%s", out)
	}
	var resp ruqiv1.ListOwnLeadsResponse
	mustUnmarshal(t, w.mustCLI(ent, "-o", "json", "company", "leads"), &resp)
	if len(resp.GetLeads()) != 2 || resp.GetLeads()[0].GetId() != lead || len(resp.GetLeads()[0].GetSteps()) != 4 {
		t.Errorf("company leads -o json: %v; want the two, %s first with its four steps", resp.GetLeads(), lead)
	}
	if r := w.cli(w.issueToken("enterprise", w.f.entB), "company", "leads"); r.exit != 0 || strings.Contains(r.stdout, lead) || !strings.Contains(r.stdout, "没有问题线索") {
		t.Errorf("another enterprise's company leads: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
}
