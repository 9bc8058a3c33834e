package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// registerArgs are the flags of an ordinary registration of enterprise A.
func (w *world) registerArgs(from, to string) []string {
	return []string{"officer", "register", "--enterprise", w.f.entA,
		"--items", strings.Join(w.f.items, ","), "--officers", strings.Join(w.f.officers[:2], ","),
		"--from", from, "--to", to, "--type", "routine", "--reason", "日常监督检查"}
}

// A window already over when it is registered (its start within the clock
// leeway) is refused, not taken as an ordinary plan; the CLI points to
// --late-reason, as it does for a start long past.
func TestRegister_WindowAlreadyEnded_RefusedWithLateReasonHint(t *testing.T) {
	w := newWorld(t)
	before := w.eventCount()
	for _, c := range []struct{ from, to, reason string }{
		{"now-1m", "now-10s", "WINDOW_ENDED"},
		{"now-3h", "now+1h", "WINDOW_IN_PAST"},
	} {
		r := w.cli(w.officer, w.registerArgs(c.from, c.to)...)
		if r.exit == 0 || !strings.Contains(r.stderr, c.reason) || !strings.Contains(r.stderr, "--late-reason") {
			t.Errorf("--from %s --to %s: exit %d, want a refusal %s pointing to --late-reason:\n%s%s", c.from, c.to, r.exit, c.reason, r.stdout, r.stderr)
		}
	}
	if n := w.eventCount() - before; n != 0 {
		t.Errorf("refused registrations wrote %d events", n)
	}
}

// An administrator listing items without saying whose is told which flag.
func TestOfficerItems_NoAgency_NamesTheFlag(t *testing.T) {
	w := newWorld(t)
	r := w.cli(w.admin, "officer", "items")
	if r.exit == 0 || !strings.Contains(r.stderr, "--agency") {
		t.Errorf("exit %d, want a refusal naming --agency:\n%s", r.exit, r.stderr)
	}
}

// toFullWidth is what a Chinese input method in full-width mode types.
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// A lower-case USCC, a leading space, full-width characters: the enterprise
// the officer meant, through the CLI and the API alike.
func TestRegister_TypedIdentifiers_Normalised(t *testing.T) {
	w := newWorld(t)
	for i, typed := range []string{strings.ToLower(w.f.entA), " " + w.f.entA + " ", toFullWidth(w.f.entA)} {
		args := w.registerArgs("now+"+strconv.Itoa(i*3+1)+"h", "now+"+strconv.Itoa(i*3+2)+"h")
		args[3] = typed
		if i == 2 {
			args[5] = toFullWidth(strings.ToLower(args[5])) // the items too
		}
		r := w.cli(w.officer, append([]string{"-o", "json"}, args...)...)
		if i == 0 && r.exit == 0 {
			continue // the first plan is accepted
		}
		// Later plans of the same agency for the same enterprise overlap in
		// nothing but are over the default cap, or accepted: either way the
		// enterprise and items were recognised.
		if r.exit != 0 && (strings.Contains(r.stderr, "USCC_MALFORMED") || strings.Contains(r.stderr, "UNKNOWN") || strings.Contains(r.stderr, "--enterprise")) {
			t.Errorf("%q refused as not understood:\n%s", typed, r.stderr)
		}
	}
	resp, err := ruqiv1.NewDirectoryServiceClient(w.conn(w.officer)).GetEnterprise(context.Background(), &ruqiv1.GetEnterpriseRequest{Uscc: "\u3000" + toFullWidth(strings.ToLower(w.f.entB))})
	if err != nil || resp.GetEnterprise().GetUscc() != w.f.entB {
		t.Errorf("GetEnterprise with a full-width lower-case USCC: %v, %v", resp.GetEnterprise().GetUscc(), err)
	}
}

// `ruqi version` names what the binary was built from.
func TestVersion_NamesBuild(t *testing.T) {
	s := startServer(t)
	r := s.cli("", "version")
	if r.exit != 0 || !strings.HasPrefix(r.stdout, "ruqi ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("ruqi version: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
}

// Refusing the same inspection twice is one refusal and one lead, and the
// enterprise's history then shows the inspection as refused, not 已报备.
func TestRefuse_Twice_OneLeadAndHistoryShowsRefused(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now+1h", "now+3h")
	id := reg.GetInspection().GetId()
	var first, second ruqiv1.RefuseInspectionResponse
	mustUnmarshal(t, w.mustCLI(w.entA, "-o", "json", "company", "refuse", "--inspection", id, "--reason", "执法人员未出示执法证"), &first)
	before := w.eventCount()
	mustUnmarshal(t, w.mustCLI(w.entA, "-o", "json", "company", "refuse", "--inspection", id, "--reason", "执法人员未出示执法证"), &second)
	if first.GetLeadId() == "" || second.GetLeadId() != first.GetLeadId() {
		t.Errorf("leads %q and %q, want one", first.GetLeadId(), second.GetLeadId())
	}
	if n := w.eventCount() - before; n != 0 {
		t.Errorf("second refusal wrote %d events", n)
	}
	hist := w.mustCLI(w.entA, "company", "history")
	if !strings.Contains(hist, "企业已拒绝") || strings.Contains(hist, "已报备") {
		t.Errorf("history does not show the refusal:\n%s", hist)
	}
}

// A complaint without --at is placed at the time it was made; the event
// table shows no raw enum names or English step words.
func TestComplaintWithoutTime_AndEventTableInChinese(t *testing.T) {
	w := newWorld(t)
	var resp ruqiv1.ComplainResponse
	mustUnmarshal(t, w.mustCLI(w.entA, "-o", "json", "company", "complain", "--officer", "张某", "--description", "未出示入企码强行检查"), &resp)
	leads, err := ruqiv1.NewSupervisionServiceClient(w.conn(w.admin)).ListLeads(context.Background(), &ruqiv1.ListLeadsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leads.GetLeads() {
		if l.GetId() == resp.GetLeadId() && l.GetOccurredAt() == nil {
			t.Errorf("complaint lead %s has no time", l.GetId())
		}
	}
	reg := w.register("now", "now+3h")
	w.scan(w.entA, reg.GetCodes()[0].GetToken())
	w.scan(w.entB, reg.GetCodes()[0].GetToken()) // not for B
	table := w.mustCLI(w.admin, "admin", "events", "list")
	for _, raw := range []string{"VERDICT_", "INSPECTION_TYPE_", "check-in", "LEAD_KIND_"} {
		if strings.Contains(table, raw) {
			t.Errorf("event table shows %q:\n%s", raw, table)
		}
	}
}

// A result's items name their check items as a registration does: a
// full-width, lower-case check_item_id inside the items is the item the
// officer meant, as it is at the top level of a registration (a trial of bad
// input, 2026-12-06: nested ids were left as sent, and the result refused).
func TestRecordResult_TypedItemIDs_Normalised(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+2h")
	var items []*ruqiv1.ItemResult
	for _, id := range w.f.items {
		items = append(items, &ruqiv1.ItemResult{CheckItemId: "\u3000" + toFullWidth(strings.ToLower(id)), Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM})
	}
	resp, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).RecordResult(context.Background(), &ruqiv1.RecordResultRequest{
		InspectionId: reg.GetInspection().GetId(), Items: items, Summary: "未发现问题"})
	if err != nil {
		t.Fatalf("a result naming its items full-width: %v", err)
	}
	for i, it := range resp.GetInspection().GetResult().GetItems() {
		if it.GetCheckItemId() != w.f.items[i] {
			t.Errorf("item %d recorded as %q, want %q", i, it.GetCheckItemId(), w.f.items[i])
		}
	}
}
