package cli

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var windowStart = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai

func sampleRegisterResponse() *ruqiv1.RegisterInspectionResponse {
	return &ruqiv1.RegisterInspectionResponse{
		Inspection: &ruqiv1.Inspection{
			Id:             "INS-0001",
			AgencyId:       "A-SCJG",
			EnterpriseUscc: "91510100MA6123456W",
			CheckItemIds:   []string{"CI-0001", "CI-0002"},
			OfficerIds:     []string{"O-0001", "O-0002"},
			WindowStart:    tspb(windowStart),
			WindowEnd:      tspb(windowStart.Add(4 * time.Hour)),
			Type:           ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			Reason:         "年度日常检查",
			State:          ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
			RegisteredAt:   tspb(windowStart.Add(-24 * time.Hour)),
			RegisteredBy:   "officer:O-0001",
		},
		Codes: []*ruqiv1.InspectionCode{
			{InspectionId: "INS-0001", OfficerId: "O-0001", KeyId: "0123456789abcdef", Token: "2DCQAAAA", Url: "HTTPS://RUQI.EXAMPLE/V/2DCQAAAA",
				NotBefore: tspb(windowStart), ExpiresAt: tspb(windowStart.Add(4 * time.Hour))},
			{InspectionId: "INS-0001", OfficerId: "O-0002", KeyId: "0123456789abcdef", Token: "2DCQBBBB", Url: "HTTPS://RUQI.EXAMPLE/V/2DCQBBBB",
				NotBefore: tspb(windowStart), ExpiresAt: tspb(windowStart.Add(4 * time.Hour))},
		},
	}
}

func sampleScanResponse() *ruqiv1.ScanCodeResponse {
	return &ruqiv1.ScanCodeResponse{
		Verdict:      ruqiv1.Verdict_VERDICT_VALID,
		Message:      "核验通过：本次检查已报备",
		OfficerId:    "O-0001",
		FirstCheckIn: true,
		CheckedInAt:  tspb(windowStart.Add(10 * time.Minute)),
		Inspection: &ruqiv1.InspectionView{
			InspectionId: "INS-0001",
			Agencies: []*ruqiv1.Agency{
				{Id: "A-SCJG", Name: "市场监督管理局", RegionCode: "510100", Level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY},
				{Id: "A-YJGL", Name: "应急管理局", RegionCode: "510100", Level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY},
			},
			Officers: []*ruqiv1.OfficerView{
				{OfficerId: "O-0001", Name: "张三", AgencyId: "A-SCJG", CertificateNumber: "51010020240001",
					CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, CertificateValid: true},
				{OfficerId: "O-0002", Name: "李四", AgencyId: "A-SCJG", CertificateNumber: "51010020240002",
					CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED},
			},
			CheckItems: []*ruqiv1.CheckItemView{
				{CheckItemId: "CI-0001", AgencyId: "A-SCJG", Name: "食品经营许可情况检查",
					LegalBasis: &ruqiv1.LegalBasis{Law: "食品安全法", Article: "第八十七条"}, Domain: "食品安全"},
			},
			WindowStart: tspb(windowStart),
			WindowEnd:   tspb(windowStart.Add(4 * time.Hour)),
			Type:        ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			Reason:      "年度日常检查",
			State:       ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
		},
	}
}

func assertContains(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

func TestTablePrinter_Registered(t *testing.T) {
	var out bytes.Buffer
	newPrinter("table", &out, &out).Registered("req-1", sampleRegisterResponse())
	assertContains(t, out.String(),
		"报备编号", "INS-0001", "执法部门", "A-SCJG", "被检查企业", "91510100MA6123456W",
		"检查时间", "2026-03-02 09:00 至 13:00（北京时间）", "检查事项", "CI-0001、CI-0002",
		"执法人员", "O-0001、O-0002", "日常检查", "已报备", "--request-id req-1",
		"执法人员 O-0002 的入企码", "HTTPS://RUQI.EXAMPLE/V/2DCQBBBB", "2DCQAAAA", "执法人员 O-0001")
	if strings.Contains(out.String(), "officer:") {
		t.Errorf("who registered is shown as the record writes it:\n%s", out.String())
	}
}

func TestTablePrinter_Scan(t *testing.T) {
	var out bytes.Buffer
	newPrinter("table", &out, &out).Scan(sampleScanResponse())
	assertContains(t, out.String(),
		"核验结果", "核验通过", "首次签到（2026-03-02 09:10）", "执法部门（联合检查）", "市场监督管理局", "应急管理局",
		"执法证号", "51010020240001", "无效（暂扣）", "《食品安全法》第八十七条", "检查事项", "食品经营许可情况检查")

	if strings.Contains(out.String(), "已停用") {
		t.Errorf("no item is retired:\n%s", out.String())
	}
	retired := sampleScanResponse()
	retired.Inspection.CheckItems[0].Retired = true
	out.Reset()
	newPrinter("table", &out, &out).Scan(retired)
	assertContains(t, out.String(), "食品经营许可情况检查（已停用）", "报备后已从检查事项清单中取消，不应再检查")

	repeat := sampleScanResponse()
	repeat.FirstCheckIn = false
	out.Reset()
	newPrinter("table", &out, &out).Scan(repeat)
	assertContains(t, out.String(), "重复扫码（同一次签到")

	rejected := &ruqiv1.ScanCodeResponse{Verdict: ruqiv1.Verdict_VERDICT_CANCELLED, Message: "该检查已于 3 月 1 日撤销"}
	out.Reset()
	newPrinter("table", &out, &out).Scan(rejected)
	assertContains(t, out.String(), "核验未通过：检查已撤销", "该检查已于 3 月 1 日撤销", "有权拒绝")
	if strings.Contains(out.String(), "签到") {
		t.Errorf("a rejected code is no check-in:\n%s", out.String())
	}
}

func TestTablePrinter_Token_LastLineIsToken(t *testing.T) {
	var out bytes.Buffer
	req := &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-0001"}
	newPrinter("table", &out, &out).Token(req, &ruqiv1.IssueAccessTokenResponse{Token: "rq_secret", TokenId: "T-1"})
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != "rq_secret" {
		t.Errorf("last line %q, want the bare token", last)
	}
	assertContains(t, out.String(), "角色", "执法人员", "主体", "O-0001")
}

func TestTablePrinter_AlignsChineseLabels(t *testing.T) {
	var out bytes.Buffer
	fields(&out, kv("事由", "a"), kv("被检查企业", "b"))
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if displayWidth(lines[0][:strings.Index(lines[0], "a")]) != displayWidth(lines[1][:strings.Index(lines[1], "b")]) {
		t.Errorf("values not aligned:\n%s", out.String())
	}
}

// TestJSONPrinter_RoundTrips checks that json output is the response itself:
// protojson reads it back into an equal message.
func TestJSONPrinter_RoundTrips(t *testing.T) {
	tests := []struct {
		name  string
		print func(printer)
		want  proto.Message
		into  proto.Message
	}{
		{"register", func(p printer) { p.Registered("req-1", sampleRegisterResponse()) },
			sampleRegisterResponse(), &ruqiv1.RegisterInspectionResponse{}},
		{"scan", func(p printer) { p.Scan(sampleScanResponse()) },
			sampleScanResponse(), &ruqiv1.ScanCodeResponse{}},
		{"verify", func(p printer) {
			p.LogVerified(&ruqiv1.VerifyEventLogResponse{Events: 12, FirstBrokenSeq: 7, HeadHash: []byte{1, 2}})
		}, &ruqiv1.VerifyEventLogResponse{Events: 12, FirstBrokenSeq: 7, HeadHash: []byte{1, 2}}, &ruqiv1.VerifyEventLogResponse{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			tt.print(newPrinter("json", &out, &errOut))
			if err := protojson.Unmarshal(out.Bytes(), tt.into); err != nil {
				t.Fatalf("output is not protojson: %v\n%s", err, out.String())
			}
			if !proto.Equal(tt.into, tt.want) {
				t.Errorf("round trip differs:\n got %v\nwant %v", tt.into, tt.want)
			}
		})
	}
}

func TestJSONPrinter_NotesGoToStderr(t *testing.T) {
	var out, errOut bytes.Buffer
	newPrinter("json", &out, &errOut).Codes(&ruqiv1.GetInspectionCodesResponse{}, []string{"a-O-0001.png"})
	var r ruqiv1.GetInspectionCodesResponse
	if err := protojson.Unmarshal(out.Bytes(), &r); err != nil {
		t.Errorf("stdout is not JSON: %v\n%s", err, out.String())
	}
	assertContains(t, errOut.String(), "a-O-0001.png")
}

// An answer that cannot be written as JSON (a time out of range, stored
// before the server refused such times) ends the command with exit 1: it
// said so on stderr and exited 0 with nothing printed, and a script read an
// empty list (a trial of bad input, 2026-12-06).
func TestJSONPrinter_EncodingFails_CommandFails(t *testing.T) {
	var out, errOut bytes.Buffer
	a := newApp(&out, &errOut, func(string) (string, bool) { return "", false }, time.Now)
	a.jsonPrinter().msg(&ruqiv1.Lead{CreatedAt: &timestamppb.Timestamp{Seconds: math.MaxInt64}})
	if !a.printFailed || !strings.Contains(errOut.String(), "无法编码为 JSON") {
		t.Errorf("printFailed %v, stderr %q", a.printFailed, errOut.String())
	}
}

// The note under an inspection whose officer cannot take part named her
// "董鑫艳（无效（暂扣）） 的执法证无效": parentheses in parentheses, a stray
// space, and no officer id, which is what the officer re-registering needs.
func TestInspection_InvalidCertificateNoteNamesTheOfficer(t *testing.T) {
	r := &ruqiv1.GetInspectionResponse{
		Inspection: sampleRegisterResponse().GetInspection(),
		Officers: []*ruqiv1.OfficerView{
			{OfficerId: "O-0001", Name: "张三", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, CertificateValid: true},
			{OfficerId: "O-0002", Name: "李四", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED},
			{OfficerId: "O-0003", Name: "王五", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE},
		},
	}
	var out bytes.Buffer
	newPrinter("table", &out, &out).Inspection(r)
	want := "注意：李四（O-0002）的执法证已暂扣、王五（O-0003）的执法证已过期，企业扫码将显示执法证无效"
	if !strings.Contains(out.String(), want) {
		t.Errorf("want %q in:\n%s", want, out.String())
	}
}

// `officer show` of a plan in a joint visit prints the visit as it stands,
// and says so when a plan that joined later narrowed its common time: the
// officers come then, not at the start of their own plan's window.
func TestInspection_JointVisitNarrowedIsSaid(t *testing.T) {
	in := sampleRegisterResponse().GetInspection()
	start := in.GetWindowStart().AsTime()
	joint := &ruqiv1.JointInspection{Id: "JNT-INS-1", LeadAgencyId: "AG-01", InspectionIds: []string{in.GetId(), "INS-2", "INS-3"},
		CommonStart: in.GetWindowStart(), CommonEnd: in.GetWindowEnd()}
	var out bytes.Buffer
	newPrinter("table", &out, &out).Inspection(&ruqiv1.GetInspectionResponse{Inspection: in, JointInspection: joint})
	if !strings.Contains(out.String(), "JNT-INS-1") || strings.Contains(out.String(), "按共同时段入企") {
		t.Errorf("the joint visit over the plan's own window:\n%s", out.String())
	}
	joint.CommonStart = timestamppb.New(start.Add(time.Hour))
	out.Reset()
	newPrinter("table", &out, &out).Inspection(&ruqiv1.GetInspectionResponse{Inspection: in, JointInspection: joint})
	if !strings.Contains(out.String(), "请按共同时段入企") {
		t.Errorf("the common time narrowed, not said:\n%s", out.String())
	}
}

// `officer show` of a plan cancelled out of a joint visit: it said 已与其他部门
// 的检查合并为一次联合检查 and 请按共同时段入企 to the agency that had withdrawn (a
// walk through a joint visit, 2026-12-07). It says the plan left, and who
// goes on.
func TestInspection_CancelledMemberIsNotToldToCome(t *testing.T) {
	in := sampleRegisterResponse().GetInspection()
	in.State = ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED
	in.JointInspectionId = "JNT-" + in.GetId()
	start := in.GetWindowStart().AsTime()
	joint := &ruqiv1.JointInspection{Id: "JNT-" + in.GetId(), LeadAgencyId: "AG-02", InspectionIds: []string{"INS-2", "INS-3"},
		CommonStart: timestamppb.New(start.Add(time.Hour)), CommonEnd: in.GetWindowEnd()}
	var out bytes.Buffer
	newPrinter("table", &out, &out).Inspection(&ruqiv1.GetInspectionResponse{Inspection: in, JointInspection: joint})
	got := out.String()
	if strings.Contains(got, "已与其他部门的检查合并") || strings.Contains(got, "按共同时段入企") ||
		!strings.Contains(got, "本报备已撤销，已退出联合检查 JNT-"+in.GetId()+"；该联合检查继续进行，牵头部门：AG-02") {
		t.Errorf("a cancelled member's show:\n%s", got)
	}
	// Two plans, one left: the visit ended (a server before 2026-12-07
	// answered its record as it was, this plan among its members).
	joint.InspectionIds = []string{in.GetId(), "INS-2"}
	for _, j := range []*ruqiv1.JointInspection{joint, nil} {
		out.Reset()
		newPrinter("table", &out, &out).Inspection(&ruqiv1.GetInspectionResponse{Inspection: in, JointInspection: j})
		got = out.String()
		if strings.Contains(got, "继续进行") || strings.Contains(got, "已与其他部门的检查合并") || !strings.Contains(got, "本报备已撤销，已退出联合检查 "+joint.GetId()+"。") {
			t.Errorf("a cancelled member of a visit that ended (joint %v):\n%s", j != nil, got)
		}
	}
}

// What an import changed is said only when the server counted it: an older
// server, or a resumed import whose progress an older command line kept,
// leaves the counts at zero, which read "新增 0，变更 0，未变 N" for a
// directory entirely new (a review, 2026-12-07).
func TestTablePrinter_Imported_ChangesOnlyWhenCounted(t *testing.T) {
	for _, c := range []struct {
		r    *ruqiv1.ImportDirectoryResponse
		want string
	}{
		{&ruqiv1.ImportDirectoryResponse{Enterprises: 500}, "500\n"},
		{&ruqiv1.ImportDirectoryResponse{Enterprises: 500, EnterprisesAdded: 2, EnterprisesChanged: 3, EnterprisesRepeated: 1, EnterprisesCompared: true}, "500（新增 2，变更 3，未变 494，同批重复 1）\n"},
	} {
		var out bytes.Buffer
		(&tablePrinter{out: &out}).Imported(&ruqiv1.Directory{}, c.r)
		line := ""
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "企业") {
				line = l + "\n"
			}
		}
		if !strings.HasSuffix(line, " "+c.want) {
			t.Errorf("%v: the enterprises' line %q, want it to end %q", c.r, line, c.want)
		}
	}
}
