package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// worldWithPolicy is a world whose server reads the given policy file.
func worldWithPolicy(t *testing.T, policy string) *world {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return newWorld(t, "-policy-file", path)
}

// upcoming lists an enterprise's notices (检查预告) through the CLI.
func (w *world) upcoming(token string) []string {
	w.t.Helper()
	var resp ruqiv1.ListUpcomingVisitsResponse
	mustUnmarshal(w.t, w.mustCLI(token, "-o", "json", "company", "upcoming"), &resp)
	var ids []string
	for _, v := range resp.GetVisits() {
		ids = append(ids, v.GetInspectionIds()...)
	}
	return ids
}

// history lists the inspections an enterprise sees in its history.
func (w *world) history(token string) []string {
	w.t.Helper()
	var resp ruqiv1.ListInspectionsResponse
	mustUnmarshal(w.t, w.mustCLI(token, "-o", "json", "company", "history"), &resp)
	var ids []string
	for _, v := range resp.GetInspections() {
		ids = append(ids, v.GetInspectionId())
	}
	return ids
}

// registerVisit registers a visit that is not an inspection through the CLI.
func (w *world) registerVisit(kind, from, to string) (*ruqiv1.RegisterInspectionResponse, cliResult) {
	w.t.Helper()
	r := w.cli(w.officer, "-o", "json", "officer", "register", "--kind", kind,
		"--enterprise", w.f.entA, "--officers", w.f.officers[0],
		"--from", from, "--to", to, "--reason", "了解企业用工和融资需求")
	var resp ruqiv1.RegisterInspectionResponse
	if r.exit == 0 {
		mustUnmarshal(w.t, r.stdout, &resp)
	}
	return &resp, r
}

// 检查预告: a routine plan is shown from the notice time the region's policy
// sets (3 days here) and not before; a random check (双随机, unannounced by
// default) only once its window has begun. What is not announced is not in
// the history either, and an enterprise sees only its own.
func TestNotice_RoutineShownWithinNoticeTime_UnannouncedOnlyOnceBegun(t *testing.T) {
	w := worldWithPolicy(t, `{"default": {"notice_days": 3}}`)
	within := w.register("now+48h", "now+50h").GetInspection().GetId()
	before := w.register("now+240h", "now+242h").GetInspection().GetId()
	randomLater := w.register("now+2h", "now+4h", "--type", "random").GetInspection().GetId()
	randomBegun := w.register("now", "now+1h", "--type", "random").GetInspection().GetId()

	got := w.upcoming(w.entA)
	for id, want := range map[string]bool{within: true, before: false, randomLater: false, randomBegun: true} {
		if slices.Contains(got, id) != want {
			t.Errorf("upcoming %v: %s shown=%v, want %v", got, id, !want, want)
		}
	}
	hist := w.history(w.entA)
	for id, want := range map[string]bool{within: true, before: false, randomLater: false, randomBegun: true} {
		if slices.Contains(hist, id) != want {
			t.Errorf("history %v: %s shown=%v, want %v", hist, id, !want, want)
		}
	}
	// The table says what comes, who and when, and that the random check has begun.
	table := w.mustCLI(w.entA, "company", "upcoming")
	for _, want := range []string{"检查预告：2 次入企", within, "日常检查", "双随机抽查", "已开始", "即将到来"} {
		if !strings.Contains(table, want) {
			t.Errorf("upcoming table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, before) || strings.Contains(table, randomLater) {
		t.Errorf("upcoming table shows what is not announced yet:\n%s", table)
	}
	// Another enterprise sees none of it, and may not ask for A's.
	if got := w.upcoming(w.entB); len(got) != 0 {
		t.Errorf("enterprise B sees %v", got)
	}
	r := w.cli(w.entB, "company", "upcoming", "--enterprise", w.f.entA)
	if r.exit != 1 || !strings.Contains(r.stderr, "只能查看本企业的检查预告") {
		t.Fatalf("B asking for A's notices: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// Officers have no notices to read.
	if r := w.cli(w.officer, "company", "upcoming"); r.exit != 1 {
		t.Fatalf("officer reading notices: exit %d\n%s", r.exit, r.stderr)
	}
}

// A 走访调研 visit: registered without items, its code says its kind, the
// enterprise's scan says plainly that it is not an inspection, a result is
// refused, an evaluation accepted.
func TestVisit_SurveyScannedAsNotAnInspection_ResultRefused_EvaluationAccepted(t *testing.T) {
	w := worldWithPolicy(t, `{"default": {}}`)
	reg, r := w.registerVisit("survey", "now", "now+2h")
	if r.exit != 0 {
		t.Fatalf("register a survey: exit %d\n%s", r.exit, r.stderr)
	}
	ins := reg.GetInspection()
	if ins.GetVisitKind() != ruqiv1.VisitKind_VISIT_KIND_SURVEY || len(ins.GetCheckItemIds()) != 0 || len(reg.GetCodes()) != 1 {
		t.Fatalf("registered %v", reg)
	}
	msg, err := code.DecodeToken(reg.GetCodes()[0].GetToken())
	if err != nil {
		t.Fatal(err)
	}
	if _, claims, err := code.Parse(msg); err != nil || claims.VisitKind != "survey" {
		t.Fatalf("code claims kind %q (%v), want survey", claims.VisitKind, err)
	}

	got, _ := w.scan(w.entA, reg.GetCodes()[0].GetUrl())
	wantVerdict(t, "survey code", got, ruqiv1.Verdict_VERDICT_VALID)
	if !strings.Contains(got.GetMessage(), "非行政检查") || !strings.Contains(got.GetMessage(), "不得进行任何检查") {
		t.Fatalf("scan message %q does not say it is not an inspection", got.GetMessage())
	}
	if got.GetInspection().GetVisitKind() != ruqiv1.VisitKind_VISIT_KIND_SURVEY || len(got.GetInspection().GetCheckItems()) != 0 {
		t.Fatalf("scan view %v", got.GetInspection())
	}
	table := w.mustCLI(w.entA, "company", "scan", reg.GetCodes()[0].GetToken())
	for _, want := range []string{"走访调研", "非行政检查", "不得进行任何检查", "重复扫码"} {
		if !strings.Contains(table, want) {
			t.Errorf("scan table lacks %q:\n%s", want, table)
		}
	}

	// Offline too, the signed kind says it.
	w.mustCLI("", "keys", "fetch")
	if out := w.mustCLI("", "company", "scan", "--offline", "--as", w.f.entA, reg.GetCodes()[0].GetToken()); !strings.Contains(out, "非行政检查") {
		t.Errorf("offline scan does not say it is not an inspection:\n%s", out)
	}

	// No results: nothing was inspected.
	r = w.cli(w.officer, "officer", "result", "--inspection", ins.GetId(), "--item", w.f.items[0]+"=no-problem", "--close")
	if r.exit != 1 || !strings.Contains(r.stderr, "不是行政检查") {
		t.Fatalf("result of a survey: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// But it may be evaluated, once, now that it took place.
	w.mustCLI(w.entA, "company", "evaluate", "--inspection", ins.GetId(), "--certificate-shown=true",
		"--rights-explained=true", "--conducted-properly=true", "--overall", "5", "--comment", "只做了调研，未检查")
	if r := w.cli(w.entA, "company", "evaluate", "--inspection", ins.GetId(), "--certificate-shown=true",
		"--rights-explained=true", "--conducted-properly=true", "--overall", "5"); r.exit != 1 || !strings.Contains(r.stderr, "已评价") {
		t.Fatalf("second evaluation: exit %d\n%s", r.exit, r.stderr)
	}
	hist := w.mustCLI(w.entA, "company", "history")
	if !strings.Contains(hist, "走访调研（非行政检查）") {
		t.Errorf("history does not show the kind:\n%s", hist)
	}

	// The 司法局's report counts it by its kind, not as an inspection.
	var rep ruqiv1.GetFrequencyReportResponse
	mustUnmarshal(t, w.mustCLI(w.issueToken("supervisor", "510000"), "-o", "json", "supervisor", "report"), &rep)
	byKind := map[ruqiv1.VisitKind]int64{}
	for _, k := range rep.GetTotals().GetVisitsByKind() {
		byKind[k.GetVisitKind()] = k.GetCount()
	}
	if byKind[ruqiv1.VisitKind_VISIT_KIND_SURVEY] != 1 || rep.GetTotals().GetInspections() != 0 || rep.GetTotals().GetScanned() != 0 {
		t.Errorf("report: by kind %v, inspections %d, scanned %d; want one survey and no inspection", byKind, rep.GetTotals().GetInspections(), rep.GetTotals().GetScanned())
	}
	if out := w.mustCLI(w.issueToken("supervisor", "510000"), "supervisor", "report"); !strings.Contains(out, "走访调研 1") {
		t.Errorf("report table does not show the survey:\n%s", out)
	}

	// A visit that is not an inspection names no items and no type.
	if r := w.cli(w.officer, "officer", "register", "--kind", "patrol", "--enterprise", w.f.entA, "--officers", w.f.officers[1],
		"--items", w.f.items[0], "--from", "now+3h", "--to", "now+4h", "--reason", "巡查"); r.exit != 1 || !strings.Contains(r.stderr, "不是行政检查") ||
		!strings.Contains(r.stderr, "VISIT_HAS_ITEMS") || !strings.Contains(r.stderr, "不填 --items") {
		t.Fatalf("patrol with items: exit %d\n%s", r.exit, r.stderr)
	}
	// The server's rules reach the command line with the flag that answers
	// them: the CLI keeps no copy of them (exit 1, not a usage error).
	inspect := []string{"officer", "register", "--enterprise", w.f.entA, "--officers", strings.Join(w.f.officers[:2], ","),
		"--items", w.f.items[0], "--reason", "检查"}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"case without trigger", []string{"--type", "case", "--from", "now+3h", "--to", "now+4h"}, []string{"TRIGGER_MISSING", "个案检查须填写触发依据", "--trigger"}},
		{"late record not begun", []string{"--type", "routine", "--from", "now+3h", "--to", "now+4h", "--late-reason", "紧急"}, []string{"LATE_NOT_STARTED", "已经开始的紧急检查", "--from 是检查实际开始的时间"}},
	} {
		r := w.cli(w.officer, append(slices.Clone(inspect), c.args...)...)
		if r.exit != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", c.name, r.exit, r.stderr)
		}
		for _, s := range c.want {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("%s: stderr lacks %q\n%s", c.name, s, r.stderr)
			}
		}
	}
	start := time.Now().Add(5 * time.Hour)
	_, err = ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).RegisterInspection(context.Background(), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.f.entA, CheckItemIds: w.f.items[:1], OfficerIds: w.f.officers[:1], VisitKind: ruqiv1.VisitKind_VISIT_KIND_PATROL,
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)), Reason: "巡查",
	})
	wantStatus(t, err, codes.InvalidArgument, "VISIT_HAS_ITEMS")
}

// 无事不扰 over every entry: the policy caps and warns on all entries
// together, apart from the inspections' own caps.
func TestEntries_CapAndWarnOnAllKinds(t *testing.T) {
	w := worldWithPolicy(t, `{"default": {"agency_per_year": 1, "entries_per_year": 3, "warn_entries_per_day": 1}}`)
	// Every entry tomorrow (Beijing time): one day, one week, one year.
	day := time.Now().In(domain.Shanghai).AddDate(0, 0, 1).Format("2006-01-02")
	at := func(hour string) string { return day + " " + hour }
	w.register(at("09:00"), at("10:00"))
	// A survey the same day: registered, with a warning on all entries.
	reg, r := w.registerVisit("survey", at("11:00"), at("12:00"))
	if r.exit != 0 {
		t.Fatalf("survey: exit %d\n%s", r.exit, r.stderr)
	}
	if ws := reg.GetWarnings(); len(ws) != 1 || ws[0].GetRule() != "entries_per_day" || !strings.Contains(ws[0].GetMessage(), "入企总次数") {
		t.Fatalf("warnings %v, want entries_per_day", ws)
	}
	// The agency's yearly cap counts inspections: a patrol by the same agency is allowed.
	if _, r := w.registerVisit("patrol", at("13:00"), at("14:00")); r.exit != 0 {
		t.Fatalf("patrol: exit %d\n%s", r.exit, r.stderr)
	}
	// The fourth entry of the year, of whatever kind, is refused.
	_, r = w.registerVisit("publicity", at("15:00"), at("16:00"))
	if r.exit != 1 || !strings.Contains(r.stderr, "年度入企总次数") || !strings.Contains(r.stderr, "第4次") {
		t.Fatalf("fourth entry: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// A second inspection by the agency is refused by its own cap.
	if r := w.cli(w.officer, "officer", "register", "--enterprise", w.f.entA, "--items", w.f.items[0],
		"--officers", strings.Join(w.f.officers[:2], ","), "--from", at("17:00"), "--to", at("18:00"),
		"--type", "routine", "--reason", "复查"); r.exit != 1 || !strings.Contains(r.stderr, "本部门对该企业的年度检查") {
		t.Fatalf("second inspection: exit %d\n%s", r.exit, r.stderr)
	}
}

// What is not announced cannot be read another way: before its notice time
// an inspection is NotFound to its enterprise when asked for by id, and its
// events give no receipt (nor count as pending), while the agency reads it
// as usual. Once shown, all of it is there.
func TestNotice_UnannouncedNotReadByIdOrReceipts(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte(`{"default": {"notice_days": 3}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, "-policy-file", policy, "-log-interval", "100ms")
	ctx := context.Background()
	randomLater := w.register("now+2h", "now+4h", "--type", "random").GetInspection().GetId()
	routineLater := w.register("now+240h", "now+242h").GetInspection().GetId()
	randomBegun := w.register("now", "now+1h", "--type", "random").GetInspection().GetId()

	company := ruqiv1.NewInspectionServiceClient(w.conn(w.entA))
	for id, want := range map[string]codes.Code{randomLater: codes.NotFound, routineLater: codes.NotFound, randomBegun: codes.OK} {
		_, err := company.GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: id})
		if got := status.Code(err); got != want {
			t.Errorf("enterprise reads %s: %v, want %v", id, got, want)
		}
		if _, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: id}); err != nil {
			t.Errorf("the agency reads %s: %v", id, err)
		}
	}
	logs := ruqiv1.NewLogServiceClient(w.conn(w.entA))
	for _, id := range []string{randomLater, routineLater} {
		if _, err := logs.ListReceipts(ctx, &ruqiv1.ListReceiptsRequest{InspectionId: id}); status.Code(err) != codes.NotFound {
			t.Errorf("receipts of %s before its notice: %v, want NotFound", id, err)
		}
	}
	var named []string
	eventually(t, "the begun check's registration receipt, nothing pending", func() error {
		resp, err := logs.ListReceipts(ctx, &ruqiv1.ListReceiptsRequest{})
		if err != nil {
			return err
		}
		named = named[:0]
		for _, rc := range resp.GetReceipts() {
			named = append(named, rc.GetEvent().GetInspectionId())
		}
		if !slices.Contains(named, randomBegun) || resp.GetPending() != 0 {
			return fmt.Errorf("receipts for %v, %d pending", named, resp.GetPending())
		}
		return nil
	})
	if slices.Contains(named, randomLater) || slices.Contains(named, routineLater) {
		t.Fatalf("receipts name an inspection not announced yet: %v", named)
	}
	// Another enterprise shown A's code keeps the receipt of its refused
	// scan, though the event names A's inspection: it is B's own step.
	codes, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).GetInspectionCodes(ctx, &ruqiv1.GetInspectionCodesRequest{InspectionId: randomBegun})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := w.scan(w.entB, codes.GetCodes()[0].GetToken())
	wantVerdict(t, "A's code at B", resp, ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE)
	eventually(t, "B's receipt of its refused scan", func() error {
		resp, err := ruqiv1.NewLogServiceClient(w.conn(w.entB)).ListReceipts(ctx, &ruqiv1.ListReceiptsRequest{})
		if err != nil {
			return err
		}
		for _, rc := range resp.GetReceipts() {
			if rc.GetEvent().GetType() == ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED && rc.GetEvent().GetInspectionId() == randomBegun {
				return nil
			}
		}
		return fmt.Errorf("%d receipts, %d pending, none of the refused scan", len(resp.GetReceipts()), resp.GetPending())
	})
}
