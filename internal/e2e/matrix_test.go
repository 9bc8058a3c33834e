package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var updateSecurity = flag.Bool("update-security", false, "rewrite the access matrix in docs/SECURITY.md")

// The roles of the matrix, each with its own objects: an officer and the
// administrator and head of AG-01, the enterprise E1 (in 510104), the supervisor of
// 510104, a system administrator, and a caller with no token. "Own" objects
// are AG-01's inspection of E1; "foreign" ones are AG-02's inspection of E2
// (outside 510104).
var matrixRoles = []string{"officer", "agency-admin", "agency-head", "enterprise", "supervisor", "admin", "anonymous"}

// matrixEnv is the server and the objects the calls act on.
type matrixEnv struct {
	w       *world
	tokens  map[string]string
	e1, e2  string
	slot    int
	started time.Time
}

// obj is what one call acts on: fresh objects for every cell, so that a call
// that changes state (cancel, result) never spoils the next one.
type obj struct {
	agency, uscc, inspection, token, officer, lead string
	// plan is a special-campaign plan of agency listing uscc.
	plan string
	// enrolment is an unspent device enrolment code of uscc; device an
	// enrolled device of uscc.
	enrolment, device string
	// entCode is uscc's enterprise code (企业码), for arrivals.
	entCode string
	// draw is a committed 双随机 draw of agency.
	draw string
	// proposal is an open 拼团 proposal: AG-01's with AG-07 (own), or
	// AG-02's with AG-07 (foreign).
	proposal string
}

// withEnterpriseCode is a fresh object with its enterprise's code, which
// the object's own officers may scan on arrival.
func withEnterpriseCode(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := m.object(t, foreign)
	resp, err := ruqiv1.NewDoorServiceClient(m.w.conn(m.w.issueToken("enterprise", o.uscc))).GetEnterpriseCode(context.Background(), &ruqiv1.GetEnterpriseCodeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	o.entCode = resp.GetCode().GetUrl()
	return o
}

// enrolmentOf is a device enrolment code created by the enterprise's own
// account; withDevice is a device enrolled with one.
func enrolmentOf(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := noObject(m, t, foreign)
	tok := m.tokens["enterprise"]
	if foreign {
		tok = m.w.issueToken("enterprise", m.e2)
	}
	resp, err := ruqiv1.NewSessionServiceClient(m.w.conn(tok)).CreateDeviceEnrolment(context.Background(), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "矩阵"})
	if err != nil {
		t.Fatal(err)
	}
	o.enrolment = resp.GetCode()
	return o
}

func withDevice(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := enrolmentOf(m, t, foreign)
	resp, err := ruqiv1.NewSessionServiceClient(m.w.conn("")).EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: o.enrolment})
	if err != nil {
		t.Fatal(err)
	}
	o.device = resp.GetDevice().GetId()
	return o
}

func (m *matrixEnv) object(t *testing.T, foreign bool) obj {
	t.Helper()
	agency, uscc := "AG-01", m.e1
	if foreign {
		agency, uscc = "AG-02", m.e2
	}
	m.slot++
	start := m.started.Add(time.Duration(m.slot) * 2 * time.Hour)
	admin := ruqiv1.NewInspectionServiceClient(m.w.conn(m.w.admin))
	officers := m.w.f.officersOf[agency]
	reg, err := admin.RegisterInspection(context.Background(), &ruqiv1.RegisterInspectionRequest{
		AgencyId: agency, EnterpriseUscc: uscc, CheckItemIds: m.w.f.itemsOf[agency][:1], OfficerIds: officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "访问矩阵测试",
		// The matrix closes many visits of the same officers with nothing
		// found: from the fourth, 成都's rule asks why they inspect again.
		StreakReason: "访问矩阵测试：再次检查",
	})
	if err != nil {
		t.Fatal(err)
	}
	return obj{agency: agency, uscc: uscc, inspection: reg.GetInspection().GetId(), token: reg.GetCodes()[0].GetToken(), officer: officers[2]}
}

// completed is an object whose inspection is closed, so it can be evaluated.
func (m *matrixEnv) completed(t *testing.T, foreign bool) obj {
	t.Helper()
	o := noObject(m, t, foreign)
	m.slot++
	// Results need the window to have begun: register it late (an
	// emergency already inspected) and close it as administrator. The
	// windows (10 minutes) do not overlap: the same emergency recorded
	// twice by one agency is a duplicate.
	start := time.Now().Add(-time.Duration(m.slot) * 11 * time.Minute)
	officers := m.w.f.officersOf[o.agency]
	admin := ruqiv1.NewInspectionServiceClient(m.w.conn(m.w.admin))
	reg, err := admin.RegisterInspection(context.Background(), &ruqiv1.RegisterInspectionRequest{
		AgencyId: o.agency, EnterpriseUscc: o.uscc, CheckItemIds: m.w.f.itemsOf[o.agency][:1], OfficerIds: officers[:2],
		WindowStart: timestamppb.New(start.Add(-time.Hour)), WindowEnd: timestamppb.New(start.Add(-50 * time.Minute)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "T-1", Reason: "访问矩阵测试", LateReason: "测试",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.RecordResult(context.Background(), &ruqiv1.RecordResultRequest{InspectionId: reg.GetInspection().GetId(), Close: true,
		Items: []*ruqiv1.ItemResult{{CheckItemId: m.w.f.itemsOf[o.agency][0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}})
	if err != nil {
		t.Fatal(err)
	}
	o.inspection = reg.GetInspection().GetId()
	return o
}

func (m *matrixEnv) leadOf(t *testing.T, foreign bool) obj {
	t.Helper()
	o := m.object(t, foreign)
	tok := m.tokens["enterprise"]
	if foreign {
		tok = m.w.issueToken("enterprise", m.e2)
	}
	resp, err := ruqiv1.NewEnterpriseServiceClient(m.w.conn(tok)).Complain(context.Background(), &ruqiv1.ComplainRequest{InspectionId: o.inspection, Description: "访问矩阵测试"})
	if err != nil {
		t.Fatal(err)
	}
	o.lead = resp.GetLeadId()
	return o
}

// accompanied is a fresh inspection with a supervisor of its region
// attached (伴随式执法监督).
func accompanied(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := m.object(t, foreign)
	tok := m.tokens["supervisor"]
	if foreign {
		tok = m.w.issueToken("supervisor", "510107")
	}
	_, err := ruqiv1.NewSupervisionServiceClient(m.w.conn(tok)).AttachSupervisor(context.Background(), &ruqiv1.AttachSupervisorRequest{InspectionId: o.inspection, SupervisorName: "矩阵监督"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// committedDraw is a 双随机 draw committed for the object's agency.
func committedDraw(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := noObject(m, t, foreign)
	resp, err := ruqiv1.NewDrawServiceClient(m.w.conn(m.w.admin)).CommitDraw(context.Background(), &ruqiv1.CommitDrawRequest{AgencyId: o.agency, Title: "矩阵",
		EnterprisePopulation: []string{m.e1, m.e2}, EnterpriseCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	o.draw = resp.GetDraw().GetId()
	return o
}

func recordAccompaniment(ctx context.Context, cc *grpc.ClientConn, o obj) error {
	yes := ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_YES
	_, err := ruqiv1.NewSupervisionServiceClient(cc).RecordAccompaniment(ctx, &ruqiv1.RecordAccompanimentRequest{InspectionId: o.inspection, SupervisorName: "矩阵监督",
		CertificateShown: yes, RightsExplained: yes, SamplingProper: yes, ConductCivil: yes})
	return err
}

// planRequest is a special-campaign plan of o's agency listing o's
// enterprise, for the month ahead.
func planRequest(o obj) *ruqiv1.FilePlanRequest {
	return &ruqiv1.FilePlanRequest{AgencyId: o.agency, Title: "访问矩阵测试", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{o.uscc}}, CheckItemIds: matrixItems[o.agency],
		PeriodStart: timestamppb.New(time.Now()), PeriodEnd: timestamppb.New(time.Now().Add(30 * 24 * time.Hour))}
}

// matrixItems are an item of each of the matrix's agencies (set by
// TestAccessMatrix from the sample directory).
var matrixItems = map[string][]string{}

// filedPlan is a special plan filed by the administrator, not approved.
func filedPlan(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := noObject(m, t, foreign)
	resp, err := ruqiv1.NewPlanServiceClient(m.w.conn(m.w.admin)).FilePlan(context.Background(), planRequest(o))
	if err != nil {
		t.Fatal(err)
	}
	o.plan = resp.GetPlan().GetId()
	return o
}

// approvedPlan is a filed plan that its agency's head approved.
func approvedPlan(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := filedPlan(m, t, foreign)
	key := "head " + o.agency
	if m.tokens[key] == "" {
		m.tokens[key] = m.w.issueToken("agency-head", o.agency)
	}
	_, err := ruqiv1.NewPlanServiceClient(m.w.conn(m.tokens[key])).ApprovePlan(context.Background(), &ruqiv1.ApprovePlanRequest{PlanId: o.plan, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// withProposal is an open proposal (拼团) of the object's agency with AG-07
// for its enterprise: both agencies' coverage submitted for a day and a half
// of its own, then matched, as an administrator.
func withProposal(m *matrixEnv, t *testing.T, foreign bool) obj {
	t.Helper()
	o := noObject(m, t, foreign)
	m.slot++
	start := m.started.Add(48*time.Hour + time.Duration(m.slot)*36*time.Hour)
	ctx := context.Background()
	mc := ruqiv1.NewMatchingServiceClient(m.w.conn(m.w.admin))
	for _, agency := range []string{o.agency, "AG-07"} {
		_, err := mc.SubmitPlanCoverage(ctx, &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: fmt.Sprintf("MX-%d", m.slot), AgencyId: agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			PeriodStart: timestamppb.New(start), PeriodEnd: timestamppb.New(start.Add(36 * time.Hour)),
			CheckItemIds: m.w.f.itemsOf[agency][:1], EnterpriseUsccs: []string{o.uscc}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := mc.RunMatching(ctx, &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(start), PeriodEnd: timestamppb.New(start.Add(36 * time.Hour))})
	if err != nil || len(resp.GetProposals()) != 1 {
		t.Fatalf("matching for the matrix: %v, %v", resp, err)
	}
	o.proposal = resp.GetProposals()[0].GetId()
	return o
}

type call func(ctx context.Context, cc *grpc.ClientConn, o obj) error

type rpcCase struct {
	method string
	object func(m *matrixEnv, t *testing.T, foreign bool) obj
	call   call
	// want per role, "own/foreign": A allowed, D denied, H hidden (NotFound
	// for an object that exists), U unauthenticated.
	want map[string]string
}

func fresh(m *matrixEnv, t *testing.T, foreign bool) obj    { return m.object(t, foreign) }
func closed(m *matrixEnv, t *testing.T, foreign bool) obj   { return m.completed(t, foreign) }
func withLead(m *matrixEnv, t *testing.T, foreign bool) obj { return m.leadOf(t, foreign) }
func noObject(m *matrixEnv, t *testing.T, foreign bool) obj {
	return obj{agency: pick(foreign, "AG-02", "AG-01"), uscc: pick(foreign, m.e2, m.e1)}
}
func pick(foreign bool, f, own string) string {
	if foreign {
		return f
	}
	return own
}

var matrix = []rpcCase{
	{ruqiv1.DirectoryService_ImportDirectory_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDirectoryServiceClient(cc).ImportDirectory(ctx, &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{}})
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.DirectoryService_ImportDirectoryStream_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		stream, err := ruqiv1.NewDirectoryServiceClient(cc).ImportDirectoryStream(ctx)
		if err != nil {
			return err
		}
		if err := stream.Send(&ruqiv1.ImportDirectoryStreamRequest{Part: &ruqiv1.Directory{}}); err != nil {
			_, err = stream.CloseAndRecv()
			return err
		}
		_, err = stream.CloseAndRecv()
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.DirectoryService_ListCheckItems_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDirectoryServiceClient(cc).ListCheckItems(ctx, &ruqiv1.ListCheckItemsRequest{AgencyId: o.agency})
		return err
	}, withHead("A/A", "A/A", "A/A", "A/A", "A/A", "A/A")},
	{ruqiv1.DirectoryService_ListOfficers_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDirectoryServiceClient(cc).ListOfficers(ctx, &ruqiv1.ListOfficersRequest{AgencyId: o.agency})
		return err
	}, rows("A/D", "A/D", "D/D", "A/A", "A/A")},
	{ruqiv1.DirectoryService_GetEnterprise_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDirectoryServiceClient(cc).GetEnterprise(ctx, &ruqiv1.GetEnterpriseRequest{Uscc: o.uscc})
		return err
	}, rows("A/A", "A/A", "A/D", "A/H", "A/A")},
	{ruqiv1.DirectoryService_SetCertificateStatus_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDirectoryServiceClient(cc).SetCertificateStatus(ctx, &ruqiv1.SetCertificateStatusRequest{OfficerId: o.officer, Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, Reason: "矩阵"})
		return err
	}, rows("D/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.InspectionService_RegisterInspection_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewInspectionServiceClient(cc).RegisterInspection(ctx, &ruqiv1.RegisterInspectionRequest{AgencyId: o.agency, EnterpriseUscc: "91350100M000100Y43", CheckItemIds: []string{"CI-0001"}, OfficerIds: []string{"O-0001", "O-0010"},
			WindowStart: timestamppb.New(time.Now().Add(time.Hour)), WindowEnd: timestamppb.New(time.Now().Add(2 * time.Hour)), Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "x"})
		if reasonOf(err) == "ENTERPRISE_UNKNOWN" {
			return nil // past both layers: the USCC is, on purpose, none of the directory's
		}
		return err
	}, rows("A/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.InspectionService_CancelInspection_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewInspectionServiceClient(cc).CancelInspection(ctx, &ruqiv1.CancelInspectionRequest{InspectionId: o.inspection, Reason: "矩阵"})
		return err
	}, rows("A/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.InspectionService_GetInspection_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewInspectionServiceClient(cc).GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: o.inspection})
		return err
	}, rows("A/D", "A/D", "A/H", "A/H", "A/A")},
	{ruqiv1.InspectionService_GetInspectionCodes_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewInspectionServiceClient(cc).GetInspectionCodes(ctx, &ruqiv1.GetInspectionCodesRequest{InspectionId: o.inspection})
		return err
	}, rows("A/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.InspectionService_RecordResult_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewInspectionServiceClient(cc).RecordResult(ctx, &ruqiv1.RecordResultRequest{InspectionId: o.inspection, Items: []*ruqiv1.ItemResult{{CheckItemId: "x", Outcome: 1}}})
		return err
	}, rows("A/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.InspectionService_ListPriorResults_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewInspectionServiceClient(cc).ListPriorResults(ctx, &ruqiv1.ListPriorResultsRequest{EnterpriseUscc: o.uscc})
		return err
	}, rows("A/A", "A/A", "D/D", "A/H", "A/A")},
	{ruqiv1.InspectionService_GetEvaluationSummary_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewInspectionServiceClient(cc).GetEvaluationSummary(ctx, &ruqiv1.GetEvaluationSummaryRequest{AgencyId: o.agency})
		return err
	}, withHead("A/D", "A/D", "A/D", "D/D", "A/A", "A/A")},
	{ruqiv1.EnterpriseService_ScanCode_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		resp, err := ruqiv1.NewEnterpriseServiceClient(cc).ScanCode(ctx, &ruqiv1.ScanCodeRequest{Code: o.token})
		if err == nil && resp.GetVerdict() == ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE && resp.GetInspection() == nil {
			return status.Error(codes.NotFound, "hidden") // answered, but told nothing
		}
		return err
	}, rows("D/D", "D/D", "A/H", "D/D", "D/D")},
	{ruqiv1.EnterpriseService_RefuseInspection_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewEnterpriseServiceClient(cc).RefuseInspection(ctx, &ruqiv1.RefuseInspectionRequest{InspectionId: o.inspection, Reason: "矩阵"})
		return err
	}, rows("D/D", "D/D", "A/H", "D/D", "D/D")},
	{ruqiv1.EnterpriseService_ListInspections_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewEnterpriseServiceClient(cc).ListInspections(ctx, &ruqiv1.ListInspectionsRequest{})
		return err
	}, rows("D/D", "D/D", "A/A", "D/D", "D/D")},
	{ruqiv1.EnterpriseService_EvaluateInspection_FullMethodName, closed, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewEnterpriseServiceClient(cc).EvaluateInspection(ctx, &ruqiv1.EvaluateInspectionRequest{InspectionId: o.inspection, Overall: 4})
		return err
	}, rows("D/D", "D/D", "A/H", "D/D", "D/D")},
	{ruqiv1.EnterpriseService_Complain_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewEnterpriseServiceClient(cc).Complain(ctx, &ruqiv1.ComplainRequest{InspectionId: o.inspection, Description: "矩阵"})
		return err
	}, rows("D/D", "D/D", "A/H", "D/D", "D/D")},
	// 检查预告: an enterprise sees its own upcoming visits; naming another
	// enterprise is refused.
	{ruqiv1.EnterpriseService_ListUpcomingVisits_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewEnterpriseServiceClient(cc).ListUpcomingVisits(ctx, &ruqiv1.ListUpcomingVisitsRequest{EnterpriseUscc: o.uscc})
		return err
	}, rows("D/D", "D/D", "A/D", "D/D", "D/D")},
	// An enterprise's own leads: there is no other's to name.
	{ruqiv1.EnterpriseService_ListOwnLeads_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewEnterpriseServiceClient(cc).ListOwnLeads(ctx, &ruqiv1.ListOwnLeadsRequest{})
		return err
	}, rows("D/D", "D/D", "A/A", "D/D", "D/D")},
	{ruqiv1.DoorService_GetEnterpriseCode_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDoorServiceClient(cc).GetEnterpriseCode(ctx, &ruqiv1.GetEnterpriseCodeRequest{})
		return err
	}, rows("D/D", "D/D", "A/A", "D/D", "D/D")},
	{ruqiv1.DoorService_ReissueEnterpriseCode_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDoorServiceClient(cc).ReissueEnterpriseCode(ctx, &ruqiv1.ReissueEnterpriseCodeRequest{Reason: "矩阵"})
		return err
	}, rows("D/D", "D/D", "A/A", "D/D", "D/D")},
	// An officer arrives only for an inspection they are on: another
	// agency's inspection is refused (PermissionDenied, NOT_ON_INSPECTION).
	{ruqiv1.DoorService_RecordArrival_FullMethodName, withEnterpriseCode, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDoorServiceClient(cc).RecordArrival(ctx, &ruqiv1.RecordArrivalRequest{InspectionId: o.inspection, Code: o.entCode})
		return err
	}, rows("A/D", "D/D", "D/D", "D/D", "D/D")},
	{ruqiv1.SupervisionService_ListLeads_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSupervisionServiceClient(cc).ListLeads(ctx, &ruqiv1.ListLeadsRequest{})
		return err
	}, rows("D/D", "D/D", "D/D", "A/A", "A/A")},
	{ruqiv1.SupervisionService_UpdateLead_FullMethodName, withLead, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSupervisionServiceClient(cc).UpdateLead(ctx, &ruqiv1.UpdateLeadRequest{LeadId: o.lead, Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "矩阵"})
		return err
	}, rows("D/D", "D/D", "D/D", "A/H", "A/A")},
	{ruqiv1.SupervisionService_ListEvaluations_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSupervisionServiceClient(cc).ListEvaluations(ctx, &ruqiv1.ListEvaluationsRequest{})
		return err
	}, rows("D/D", "D/D", "D/D", "A/A", "A/A")},
	{ruqiv1.ReportService_GetFrequencyReport_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewReportServiceClient(cc).GetFrequencyReport(ctx, &ruqiv1.GetFrequencyReportRequest{RegionCode: pick(o.uscc != "91510104CY4C7RGWMR", "510107", "510104")})
		return err
	}, rows("D/D", "D/D", "D/D", "A/D", "A/A")},
	{ruqiv1.KeyService_ListPublicKeys_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewKeyServiceClient(cc).ListPublicKeys(ctx, &ruqiv1.ListPublicKeysRequest{})
		return err
	}, public()},
	{ruqiv1.KeyService_DescribeCode_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewKeyServiceClient(cc).DescribeCode(ctx, &ruqiv1.DescribeCodeRequest{Code: o.token})
		if status.Code(err) == codes.NotFound {
			return nil // public: a code outside its window is refused on its merits, for everyone alike
		}
		return err
	}, public()},
	{ruqiv1.KeyService_RotateSigningKey_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewKeyServiceClient(cc).RotateSigningKey(ctx, &ruqiv1.RotateSigningKeyRequest{})
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.AdminService_IssueAccessToken_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewAdminServiceClient(cc).IssueAccessToken(ctx, &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: o.uscc})
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.AdminService_RevokeAccessToken_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewAdminServiceClient(cc).RevokeAccessToken(ctx, &ruqiv1.RevokeAccessTokenRequest{TokenId: "tok-000000000000"})
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.AdminService_ListAccessTokens_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewAdminServiceClient(cc).ListAccessTokens(ctx, &ruqiv1.ListAccessTokensRequest{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "bootstrap"})
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.AdminService_RotateAccessToken_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewAdminServiceClient(cc).RotateAccessToken(ctx, &ruqiv1.RotateAccessTokenRequest{TokenId: "tok-000000000000"})
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.SessionService_GetSignInConfig_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).GetSignInConfig(ctx, &ruqiv1.GetSignInConfigRequest{})
		return err
	}, public()},
	// Without an identity provider SignIn answers FailedPrecondition: past
	// the access checks, which let anyone present an ID token.
	{ruqiv1.SessionService_SignIn_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).SignIn(ctx, &ruqiv1.SignInRequest{IdToken: "x.y.z", Nonce: "n"})
		return err
	}, public()},
	{ruqiv1.SessionService_SignOut_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).SignOut(ctx, &ruqiv1.SignOutRequest{})
		return err
	}, withHead("A/A", "A/A", "A/A", "A/A", "A/A", "A/A")},
	// Anyone signed in starts a session of their own from their token.
	{ruqiv1.SessionService_StartSession_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).StartSession(ctx, &ruqiv1.StartSessionRequest{})
		return err
	}, withHead("A/A", "A/A", "A/A", "A/A", "A/A", "A/A")},
	{ruqiv1.SessionService_CreateDeviceEnrolment_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).CreateDeviceEnrolment(ctx, &ruqiv1.CreateDeviceEnrolmentRequest{Label: "矩阵"})
		return err
	}, rows("D/D", "D/D", "A/A", "D/D", "D/D")},
	// The enrolment code is the credential, once: anyone holding it enrols.
	{ruqiv1.SessionService_EnrolDevice_FullMethodName, enrolmentOf, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).EnrolDevice(ctx, &ruqiv1.EnrolDeviceRequest{Code: o.enrolment})
		return err
	}, public()},
	// So is it for naming the enterprise it binds to, without spending it.
	{ruqiv1.SessionService_DescribeEnrolment_FullMethodName, enrolmentOf, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).DescribeEnrolment(ctx, &ruqiv1.DescribeEnrolmentRequest{Code: o.enrolment})
		return err
	}, public()},
	{ruqiv1.SessionService_ListDevices_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).ListDevices(ctx, &ruqiv1.ListDevicesRequest{})
		return err
	}, rows("D/D", "D/D", "A/A", "D/D", "D/D")},
	{ruqiv1.SessionService_RevokeDevice_FullMethodName, withDevice, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSessionServiceClient(cc).RevokeDevice(ctx, &ruqiv1.RevokeDeviceRequest{DeviceId: o.device})
		return err
	}, rows("D/D", "D/D", "A/H", "D/D", "D/D")},
	{ruqiv1.AdminService_ListEvents_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewAdminServiceClient(cc).ListEvents(ctx, &ruqiv1.ListEventsRequest{Limit: 1})
		return err
	}, rows("D/D", "D/D", "D/D", "A/A", "A/A")},
	{ruqiv1.AdminService_VerifyEventLog_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewAdminServiceClient(cc).VerifyEventLog(ctx, &ruqiv1.VerifyEventLogRequest{})
		return err
	}, rows("D/D", "D/D", "D/D", "A/A", "A/A")},
	{ruqiv1.LogService_GetCheckpoint_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewLogServiceClient(cc).GetCheckpoint(ctx, &ruqiv1.GetCheckpointRequest{})
		return err
	}, public()},
	{ruqiv1.LogService_GetConsistencyProof_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewLogServiceClient(cc).GetConsistencyProof(ctx, &ruqiv1.GetConsistencyProofRequest{})
		return err
	}, public()},
	{ruqiv1.LogService_ListReceipts_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewLogServiceClient(cc).ListReceipts(ctx, &ruqiv1.ListReceiptsRequest{InspectionId: o.inspection})
		return err
	}, rows("D/D", "D/D", "A/H", "D/D", "D/D")},
	// 伴随式执法监督: only the 司法局 of the region attaches and records; the
	// agency reads its own inspections' records; the enterprise sees the
	// supervisors on its scan, not the records.
	{ruqiv1.SupervisionService_AttachSupervisor_FullMethodName, fresh, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSupervisionServiceClient(cc).AttachSupervisor(ctx, &ruqiv1.AttachSupervisorRequest{InspectionId: o.inspection, SupervisorName: "矩阵监督"})
		return err
	}, rows("D/D", "D/D", "D/D", "A/H", "D/D")},
	{ruqiv1.SupervisionService_RecordAccompaniment_FullMethodName, accompanied, recordAccompaniment, rows("D/D", "D/D", "D/D", "A/H", "D/D")},
	{ruqiv1.SupervisionService_ListAccompaniments_FullMethodName, accompanied, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewSupervisionServiceClient(cc).ListAccompaniments(ctx, &ruqiv1.ListAccompanimentsRequest{InspectionId: o.inspection})
		return err
	}, rows("A/D", "A/D", "D/D", "A/H", "A/A")},
	// 双随机 draws: the agency commits for itself; the agency or the 司法局
	// reveals; anyone reads.
	{ruqiv1.DrawService_CommitDraw_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDrawServiceClient(cc).CommitDraw(ctx, &ruqiv1.CommitDrawRequest{AgencyId: o.agency, Title: "矩阵", EnterprisePopulation: []string{o.uscc}, EnterpriseCount: 1})
		return err
	}, rows("D/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.DrawService_RevealDraw_FullMethodName, committedDraw, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDrawServiceClient(cc).RevealDraw(ctx, &ruqiv1.RevealDrawRequest{DrawId: o.draw})
		return err
	}, rows("D/D", "A/D", "D/D", "A/A", "A/A")},
	{ruqiv1.DrawService_GetDraw_FullMethodName, committedDraw, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDrawServiceClient(cc).GetDraw(ctx, &ruqiv1.GetDrawRequest{DrawId: o.draw})
		return err
	}, public()},
	{ruqiv1.DrawService_ListDraws_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewDrawServiceClient(cc).ListDraws(ctx, &ruqiv1.ListDrawsRequest{})
		return err
	}, public()},
	{ruqiv1.PlanService_FilePlan_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewPlanServiceClient(cc).FilePlan(ctx, planRequest(o))
		return err
	}, withHead("A/D", "A/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.PlanService_AmendPlan_FullMethodName, filedPlan, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewPlanServiceClient(cc).AmendPlan(ctx, &ruqiv1.AmendPlanRequest{PlanId: o.plan, Reason: "矩阵", Emergency: true})
		return err
	}, withHead("A/D", "A/D", "D/D", "D/D", "D/D", "A/A")},
	// Only the head of the plan's agency approves; not even an administrator.
	{ruqiv1.PlanService_ApprovePlan_FullMethodName, filedPlan, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewPlanServiceClient(cc).ApprovePlan(ctx, &ruqiv1.ApprovePlanRequest{PlanId: o.plan, Version: 1})
		return err
	}, withHead("D/D", "D/D", "A/D", "D/D", "D/D", "D/D")},
	{ruqiv1.PlanService_PublishPlan_FullMethodName, approvedPlan, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewPlanServiceClient(cc).PublishPlan(ctx, &ruqiv1.PublishPlanRequest{PlanId: o.plan})
		return err
	}, withHead("A/D", "A/D", "A/D", "D/D", "D/D", "A/A")},
	// The supervisor of 510104 reads the plan that lists E1 (in 510104), not
	// the one listing E2.
	{ruqiv1.PlanService_GetPlan_FullMethodName, filedPlan, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewPlanServiceClient(cc).GetPlan(ctx, &ruqiv1.GetPlanRequest{PlanId: o.plan})
		return err
	}, withHead("A/D", "A/D", "A/D", "D/D", "A/H", "A/A")},
	{ruqiv1.PlanService_ListPlans_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewPlanServiceClient(cc).ListPlans(ctx, &ruqiv1.ListPlansRequest{AgencyId: o.agency})
		return err
	}, withHead("A/D", "A/D", "A/D", "D/D", "A/A", "A/A")},
	{ruqiv1.PlanService_ListPublishedPlans_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewPlanServiceClient(cc).ListPublishedPlans(ctx, &ruqiv1.ListPublishedPlansRequest{})
		return err
	}, public()},
	{ruqiv1.MatchingService_SubmitPlanCoverage_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewMatchingServiceClient(cc).SubmitPlanCoverage(ctx, &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "MX-SUBMIT", AgencyId: o.agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			PeriodStart: timestamppb.New(time.Now().Add(200 * 24 * time.Hour)), PeriodEnd: timestamppb.New(time.Now().Add(201 * 24 * time.Hour)),
			CheckItemIds: []string{pick(o.agency == "AG-02", "CI-0007", "CI-0001")}, EnterpriseUsccs: []string{o.uscc}}})
		return err
	}, rows("A/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.MatchingService_RunMatching_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewMatchingServiceClient(cc).RunMatching(ctx, &ruqiv1.RunMatchingRequest{
			PeriodStart: timestamppb.New(time.Now().Add(300 * 24 * time.Hour)), PeriodEnd: timestamppb.New(time.Now().Add(301 * 24 * time.Hour))})
		return err
	}, rows("D/D", "D/D", "D/D", "A/A", "A/A")},
	{ruqiv1.MatchingService_ListProposals_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewMatchingServiceClient(cc).ListProposals(ctx, &ruqiv1.ListProposalsRequest{AgencyId: o.agency})
		return err
	}, rows("A/D", "A/D", "D/D", "A/A", "A/A")},
	// An agency answers only for itself: for another agency, or for a
	// proposal it is not in, it is refused.
	{ruqiv1.MatchingService_RespondToProposal_FullMethodName, withProposal, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewMatchingServiceClient(cc).RespondToProposal(ctx, &ruqiv1.RespondToProposalRequest{ProposalId: o.proposal, AgencyId: o.agency, Note: "矩阵"})
		return err
	}, rows("A/D", "A/D", "D/D", "D/D", "A/A")},
	{ruqiv1.AdminService_CompactStore_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		_, err := ruqiv1.NewAdminServiceClient(cc).CompactStore(ctx, &ruqiv1.CompactStoreRequest{})
		return err
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
	{ruqiv1.AdminService_BackupStore_FullMethodName, noObject, func(ctx context.Context, cc *grpc.ClientConn, o obj) error {
		stream, err := ruqiv1.NewAdminServiceClient(cc).BackupStore(ctx, &ruqiv1.BackupStoreRequest{})
		if err != nil {
			return err
		}
		for {
			if _, err := stream.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}, rows("D/D", "D/D", "D/D", "D/D", "A/A")},
}

// public is a method open to every caller, with or without a token.
func public() map[string]string {
	return map[string]string{"officer": "A/A", "agency-admin": "A/A", "agency-head": "A/A", "enterprise": "A/A", "supervisor": "A/A", "admin": "A/A", "anonymous": "A/A"}
}

// rows gives the signed-in roles' cells for a call an agency head may not
// make; a caller without a token is always unauthenticated.
func rows(officer, agencyAdmin, enterprise, supervisor, admin string) map[string]string {
	return withHead(officer, agencyAdmin, "D/D", enterprise, supervisor, admin)
}

// withHead gives every signed-in role's cells, the agency head's included.
func withHead(officer, agencyAdmin, agencyHead, enterprise, supervisor, admin string) map[string]string {
	return map[string]string{"officer": officer, "agency-admin": agencyAdmin, "agency-head": agencyHead, "enterprise": enterprise, "supervisor": supervisor, "admin": admin, "anonymous": "U/U"}
}

// hidingReasons are the NOT_FOUND reasons that answer for an object the
// caller may not know of as for one that does not exist.
var hidingReasons = map[string]bool{"INSPECTION_UNKNOWN": true, "DEVICE_UNKNOWN": true, "LEAD_UNKNOWN": true, "PLAN_UNKNOWN": true, "ENTERPRISE_UNKNOWN": true}

// classify reads an answer as the matrix does. Anything past the access
// checks (including a domain refusal like "already cancelled") is allowed.
func classify(err error) string {
	st := status.Convert(err)
	switch st.Code() {
	case codes.PermissionDenied:
		return "D"
	case codes.Unauthenticated:
		return "U"
	case codes.NotFound:
		for _, d := range st.Details() {
			// The matrix's objects exist: "unknown" inspection, device,
			// lead, plan or enterprise is the answer that hides someone
			// else's.
			if info, ok := d.(*errdetails.ErrorInfo); ok && !hidingReasons[info.GetReason()] {
				return "A" // a genuinely unknown id, past the checks
			}
		}
		return "H"
	}
	return "A"
}

func TestAccessMatrix(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.json")
	// No caps: the matrix registers many plans, over days; all of them
	// announced (检查预告), so that what is tested is who may read them.
	os.WriteFile(policy, []byte(`{"default": {"notice_days": 90}}`), 0o600)
	w := newWorld(t, "-policy-file", policy)
	m := &matrixEnv{w: w, e1: "91510104CY4C7RGWMR", e2: "915101070AL6JK1YWK", started: time.Now().Add(time.Hour), tokens: map[string]string{}}
	m.tokens["officer"] = w.issueToken("officer", w.f.officersOf["AG-01"][0])
	m.tokens["agency-admin"] = w.issueToken("agency-admin", "AG-01")
	m.tokens["agency-head"] = w.issueToken("agency-head", "AG-01")
	for _, ag := range []string{"AG-01", "AG-02"} {
		matrixItems[ag] = w.f.itemsOf[ag][:1]
	}
	m.tokens["enterprise"] = w.issueToken("enterprise", m.e1)
	m.tokens["supervisor"] = w.issueToken("supervisor", "510104")
	m.tokens["admin"] = w.admin
	m.tokens["anonymous"] = ""

	covered := map[string]bool{}
	var doc strings.Builder
	doc.WriteString("| RPC | " + strings.Join(matrixRoles, " | ") + " |\n|---|" + strings.Repeat("---|", len(matrixRoles)) + "\n")
	for _, rc := range matrix {
		covered[rc.method] = true
		cells := []string{}
		for _, role := range matrixRoles {
			var got []string
			for _, foreign := range []bool{false, true} {
				o := rc.object(m, t, foreign)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				got = append(got, classify(rc.call(ctx, w.conn(m.tokens[role]), o)))
				cancel()
			}
			cell := strings.Join(got, "/")
			if want := rc.want[role]; cell != want {
				t.Errorf("%s as %s: got %s, want %s (own/foreign)", rc.method, role, cell, want)
			}
			cells = append(cells, cell)
		}
		doc.WriteString("| `" + strings.TrimPrefix(rc.method, "/ruqi.v1.") + "` | " + strings.Join(cells, " | ") + " |\n")
	}
	var missing []string
	for _, method := range auth.Methods() {
		if !covered[method] {
			missing = append(missing, method)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("RPCs missing from the access matrix: %v", missing)
	}
	checkSecurityDoc(t, doc.String())
}

// checkSecurityDoc keeps docs/SECURITY.md's matrix equal to the one tested.
func checkSecurityDoc(t *testing.T, table string) {
	path := filepath.Join(repoRoot(), "docs", "SECURITY.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", path, begin, end)
	}
	if *updateSecurity {
		s = s[:i+len(begin)] + table + s[j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := s[i+len(begin) : j]; got != table {
		t.Errorf("docs/SECURITY.md's matrix differs from the tested one; run go test ./internal/e2e -run AccessMatrix -update-security\n%s", table)
	}
}
