package e2e

import (
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 伴随式执法监督 from the outside: the 司法局's supervisor attaches to a
// registered inspection; the enterprise's scan shows them apart from the
// officers; the supervisor records the checklist once, a 否 opens a lead;
// the record is the 司法局's to see, the agency may read it but neither the
// officer nor the agency's administrator may write it, and the enterprise
// does not read it.
func TestAccompaniment_SupervisorOnScan_RecordNotEditableByAgency(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+2h")
	ins := reg.GetInspection().GetId()
	supervisor := w.issueToken("supervisor", "510000")
	agencyAdmin := w.issueToken("agency-admin", w.f.agency)

	// A supervisor of another province cannot attach, and is answered as
	// for an id nobody registered: "not in your region" told it the
	// inspection exists (a 司法局 trial, 2026-12-06).
	other := w.issueToken("supervisor", "440000")
	r := w.cli(other, "supervisor", "accompany", "attach", "--inspection", ins, "--name", "李监督")
	if r.exit == 0 || !strings.Contains(r.stderr, "不存在") || strings.Contains(r.stderr, "行政区划") {
		t.Fatalf("supervisor of another region attached: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	missing := ins[:len(ins)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(ins, "A")]
	if m := w.cli(other, "supervisor", "accompany", "attach", "--inspection", missing, "--name", "李监督"); strings.ReplaceAll(m.stderr, missing, ins) != r.stderr {
		t.Errorf("another region's inspection and an unknown id are answered apart:\n%s\n%s", r.stderr, m.stderr)
	}
	w.mustCLI(supervisor, "supervisor", "accompany", "attach", "--inspection", ins, "--name", "王监督")
	// The agency cannot attach someone either.
	if r := w.cli(agencyAdmin, "supervisor", "accompany", "attach", "--inspection", ins, "--name", "假监督"); r.exit == 0 || !strings.Contains(r.stderr, "无权") {
		t.Fatalf("agency attached a supervisor: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	// The scan shows the supervisor as an accompanying supervisor, not as
	// an officer.
	resp, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "scan", resp, ruqiv1.Verdict_VERDICT_VALID)
	sups := resp.GetInspection().GetAccompanyingSupervisors()
	if len(sups) != 1 || sups[0].GetName() != "王监督" || sups[0].GetRegionCode() != "510000" {
		t.Fatalf("scan shows supervisors %v", sups)
	}
	for _, o := range resp.GetInspection().GetOfficers() {
		if o.GetName() == "王监督" {
			t.Fatal("the supervisor is listed among the officers")
		}
	}
	table := w.cli(w.entA, "company", "scan", reg.GetCodes()[0].GetToken())
	i, j := strings.Index(table.stdout, "伴随监督人员"), strings.Index(table.stdout, "王监督")
	if table.exit != 0 || i < 0 || j < i {
		t.Fatalf("the scan's table does not show the accompanying supervisor:\n%s", table.stdout)
	}

	// Nobody of the agency may write the record.
	record := []string{"supervisor", "accompany", "record", "--inspection", ins, "--name", "王监督",
		"--certificate", "是", "--rights", "否", "--sampling", "不适用", "--conduct", "是", "--notes", "未告知陈述申辩权利"}
	for who, tok := range map[string]string{"officer": w.officer, "agency-admin": agencyAdmin, "enterprise": w.entA} {
		if r := w.cli(tok, record...); r.exit == 0 || !strings.Contains(r.stderr, "无权") {
			t.Fatalf("%s wrote the supervision record: exit %d\n%s%s", who, r.exit, r.stdout, r.stderr)
		}
	}
	var rec ruqiv1.RecordAccompanimentResponse
	mustUnmarshal(t, w.mustCLI(supervisor, append([]string{"-o", "json"}, record...)...), &rec)
	if rec.GetLead().GetKind() != ruqiv1.LeadKind_LEAD_KIND_ACCOMPANIMENT_FINDING || rec.GetAccompaniment().GetLeadId() != rec.GetLead().GetId() {
		t.Fatalf("a 否 opened no lead: %v", &rec)
	}
	// Recorded once: not even the supervisor rewrites it.
	if r := w.cli(supervisor, record...); r.exit == 0 || !strings.Contains(r.stderr, "不能修改") {
		t.Fatalf("record rewritten: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	// The 司法局 sees the record and the lead; the agency reads it; the
	// enterprise does not.
	for who, tok := range map[string]string{"supervisor": supervisor, "officer": w.officer, "agency-admin": agencyAdmin} {
		var list ruqiv1.ListAccompanimentsResponse
		mustUnmarshal(t, w.mustCLI(tok, "-o", "json", "supervisor", "accompany", "show", "--inspection", ins), &list)
		a := list.GetAccompaniments()
		if len(a) != 1 || a[0].GetRightsExplained() != ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NO || a[0].GetNotes() != "未告知陈述申辩权利" {
			t.Fatalf("%s sees %v", who, a)
		}
	}
	if r := w.cli(w.entA, "supervisor", "accompany", "show", "--inspection", ins); r.exit == 0 {
		t.Fatalf("the enterprise read the record:\n%s", r.stdout)
	}
	leads := w.mustCLI(supervisor, "supervisor", "leads")
	if !strings.Contains(leads, "伴随监督发现问题") || !strings.Contains(leads, rec.GetLead().GetId()) {
		t.Fatalf("the lead is not in the supervisor's list:\n%s", leads)
	}
}
