package auth

import (
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Public methods need no token: health, reflection and the public keys, which
// exist so that anyone can verify a code offline; and the two ways to get a
// token, whose requests carry their own credential (the identity provider's
// signed ID token; a single-use device enrolment code).
var publicMethods = map[string]bool{
	ruqiv1.KeyService_ListPublicKeys_FullMethodName:      true,
	ruqiv1.LogService_GetCheckpoint_FullMethodName:       true,
	ruqiv1.LogService_GetConsistencyProof_FullMethodName: true,
	// 双随机、一公开: published draws are for everyone to re-run.
	ruqiv1.DrawService_GetDraw_FullMethodName:            true,
	ruqiv1.DrawService_ListDraws_FullMethodName:          true,
	ruqiv1.SessionService_GetSignInConfig_FullMethodName: true,
	ruqiv1.SessionService_SignIn_FullMethodName:          true,
	ruqiv1.SessionService_EnrolDevice_FullMethodName:     true,
	// Names the enterprise of an enrolment code before it is spent: its
	// holder would learn it by enrolling anyway.
	ruqiv1.SessionService_DescribeEnrolment_FullMethodName: true,
	// Published inspection plans are public (检查计划公示).
	ruqiv1.PlanService_ListPublishedPlans_FullMethodName: true,
	"/grpc.health.v1.Health/Check":                       true,
	"/grpc.health.v1.Health/Watch":                       true,
	"/grpc.health.v1.Health/List":                        true,

	// Names for a genuine code in its window: what the officer shows anyway.
	ruqiv1.KeyService_DescribeCode_FullMethodName: true,
}

const (
	officer     = ruqiv1.Role_ROLE_OFFICER
	agencyAdmin = ruqiv1.Role_ROLE_AGENCY_ADMIN
	enterprise  = ruqiv1.Role_ROLE_ENTERPRISE
	supervisor  = ruqiv1.Role_ROLE_SUPERVISOR
	admin       = ruqiv1.Role_ROLE_ADMIN
	agencyHead  = ruqiv1.Role_ROLE_AGENCY_HEAD
)

// allowed declares who may call each RPC: the one table of role-level access
// (docs/SECURITY.md writes it out with the object-level checks on top). A
// method missing here is denied to everyone, so a new RPC is closed until
// someone decides who may call it.
var allowed = map[string][]ruqiv1.Role{
	ruqiv1.DirectoryService_ImportDirectory_FullMethodName:      {admin},
	ruqiv1.DirectoryService_ListCheckItems_FullMethodName:       {officer, agencyAdmin, agencyHead, enterprise, supervisor, admin},
	ruqiv1.DirectoryService_ListOfficers_FullMethodName:         {officer, agencyAdmin, supervisor, admin},
	ruqiv1.DirectoryService_GetEnterprise_FullMethodName:        {officer, agencyAdmin, enterprise, supervisor, admin},
	ruqiv1.DirectoryService_SetCertificateStatus_FullMethodName: {agencyAdmin, admin},

	// The directory in parts, when it does not fit in one message.
	ruqiv1.DirectoryService_ImportDirectoryStream_FullMethodName: {admin},

	ruqiv1.InspectionService_RegisterInspection_FullMethodName:   {officer, agencyAdmin, admin},
	ruqiv1.InspectionService_CancelInspection_FullMethodName:     {officer, agencyAdmin, admin},
	ruqiv1.InspectionService_GetInspection_FullMethodName:        {officer, agencyAdmin, enterprise, supervisor, admin},
	ruqiv1.InspectionService_GetInspectionCodes_FullMethodName:   {officer, agencyAdmin, admin},
	ruqiv1.InspectionService_RecordResult_FullMethodName:         {officer, agencyAdmin, admin},
	ruqiv1.InspectionService_ListPriorResults_FullMethodName:     {officer, agencyAdmin, supervisor, admin},
	ruqiv1.InspectionService_GetEvaluationSummary_FullMethodName: {officer, agencyAdmin, agencyHead, supervisor, admin},

	ruqiv1.EnterpriseService_ScanCode_FullMethodName:           {enterprise},
	ruqiv1.EnterpriseService_RefuseInspection_FullMethodName:   {enterprise},
	ruqiv1.EnterpriseService_ListInspections_FullMethodName:    {enterprise},
	ruqiv1.EnterpriseService_EvaluateInspection_FullMethodName: {enterprise},
	ruqiv1.EnterpriseService_Complain_FullMethodName:           {enterprise},
	ruqiv1.EnterpriseService_ListUpcomingVisits_FullMethodName: {enterprise},
	ruqiv1.EnterpriseService_ListOwnLeads_FullMethodName:       {enterprise},
	// The enterprise code (企业码) is the enterprise's own; arrival is the
	// officer's (两码互核).
	ruqiv1.DoorService_GetEnterpriseCode_FullMethodName:     {enterprise},
	ruqiv1.DoorService_ReissueEnterpriseCode_FullMethodName: {enterprise},
	ruqiv1.DoorService_RecordArrival_FullMethodName:         {officer},

	ruqiv1.SupervisionService_ListLeads_FullMethodName:       {supervisor, admin},
	ruqiv1.SupervisionService_UpdateLead_FullMethodName:      {supervisor, admin},
	ruqiv1.SupervisionService_ListEvaluations_FullMethodName: {supervisor, admin},

	// 伴随式执法监督: only the 司法局 attaches and records; the inspecting
	// agency may read the record (inspection.ListAccompaniments), never
	// write it.
	ruqiv1.SupervisionService_AttachSupervisor_FullMethodName:    {supervisor},
	ruqiv1.SupervisionService_RecordAccompaniment_FullMethodName: {supervisor},
	ruqiv1.SupervisionService_ListAccompaniments_FullMethodName:  {officer, agencyAdmin, supervisor, admin},

	// 双随机 draws: the agency commits; the agency or the 司法局 reveals (the
	// picks are deterministic, so an agency cannot sit on a draw).
	ruqiv1.DrawService_CommitDraw_FullMethodName: {agencyAdmin, admin},
	ruqiv1.DrawService_RevealDraw_FullMethodName: {agencyAdmin, supervisor, admin},

	ruqiv1.ReportService_GetFrequencyReport_FullMethodName: {supervisor, admin},

	// Inspection plans: the agency files, amends and publishes its own
	// (inspection.MayManagePlan); only its head approves; the supervisors of
	// its region read them (filed with the 司法局).
	// The head approves and does not file or amend: heads are one identity
	// per agency (the role's subject is the agency), so a head filing would
	// leave no other head to approve it, and approving it would be
	// approving one's own plan.
	ruqiv1.PlanService_FilePlan_FullMethodName:    {officer, agencyAdmin, admin},
	ruqiv1.PlanService_AmendPlan_FullMethodName:   {officer, agencyAdmin, admin},
	ruqiv1.PlanService_ApprovePlan_FullMethodName: {agencyHead},
	ruqiv1.PlanService_PublishPlan_FullMethodName: {officer, agencyAdmin, agencyHead, admin},
	ruqiv1.PlanService_GetPlan_FullMethodName:     {officer, agencyAdmin, agencyHead, supervisor, admin},
	ruqiv1.PlanService_ListPlans_FullMethodName:   {officer, agencyAdmin, agencyHead, supervisor, admin},
	// 拼团 matching: an agency files its plans' coverage and answers for
	// itself (the core refuses another agency's); the 司法局 or an
	// administrator runs the matching; everyone concerned reads proposals.
	ruqiv1.MatchingService_SubmitPlanCoverage_FullMethodName: {officer, agencyAdmin, admin},
	ruqiv1.MatchingService_RunMatching_FullMethodName:        {supervisor, admin},
	ruqiv1.MatchingService_ListProposals_FullMethodName:      {officer, agencyAdmin, supervisor, admin},
	ruqiv1.MatchingService_RespondToProposal_FullMethodName:  {officer, agencyAdmin, admin},

	// Anyone signed in may end their own session, and start one from the
	// token they hold (the web pages' sign-in with a token; the service
	// refuses a device); only an enterprise's account manages its staff
	// devices (the service refuses a device).
	ruqiv1.SessionService_SignOut_FullMethodName:               {officer, agencyAdmin, agencyHead, enterprise, supervisor, admin},
	ruqiv1.SessionService_StartSession_FullMethodName:          {officer, agencyAdmin, agencyHead, enterprise, supervisor, admin},
	ruqiv1.SessionService_CreateDeviceEnrolment_FullMethodName: {enterprise},
	ruqiv1.SessionService_ListDevices_FullMethodName:           {enterprise},
	ruqiv1.SessionService_RevokeDevice_FullMethodName:          {enterprise},

	ruqiv1.KeyService_RotateSigningKey_FullMethodName: {admin},

	ruqiv1.LogService_ListReceipts_FullMethodName: {enterprise},

	ruqiv1.AdminService_IssueAccessToken_FullMethodName:  {admin},
	ruqiv1.AdminService_RevokeAccessToken_FullMethodName: {admin},
	ruqiv1.AdminService_ListAccessTokens_FullMethodName:  {admin},
	ruqiv1.AdminService_RotateAccessToken_FullMethodName: {admin},
	ruqiv1.AdminService_ListEvents_FullMethodName:        {supervisor, admin},
	ruqiv1.AdminService_VerifyEventLog_FullMethodName:    {supervisor, admin},
	ruqiv1.AdminService_CompactStore_FullMethodName:      {admin},
	ruqiv1.AdminService_BackupStore_FullMethodName:       {admin},
}

// Methods lists every method the table names, for the access-matrix test.
func Methods() []string {
	out := make([]string, 0, len(allowed))
	for m := range allowed {
		out = append(out, m)
	}
	return out
}

// IsPublic reports whether a method needs no token.
func IsPublic(fullMethod string) bool {
	return publicMethods[fullMethod] || isReflection(fullMethod)
}

func isReflection(m string) bool {
	const v1, v1alpha = "/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/"
	return len(m) > len(v1alpha) && (m[:len(v1)] == v1 || m[:len(v1alpha)] == v1alpha)
}

// Allowed reports whether role r may call the method.
func Allowed(fullMethod string, r ruqiv1.Role) bool {
	for _, a := range allowed[fullMethod] {
		if a == r {
			return true
		}
	}
	return false
}
