package web

import (
	"net/http"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// leadsData is the enterprise's page of its own leads (我的问题线索).
type leadsData struct {
	Leads []ownLead
	More  bool // more than the page shows: the newest are shown
}

type ownLead struct {
	ID, Kind, Status, Opened, Description, Inspection string
	Steps                                             []leadStepLine
	Closed                                            bool // a final status: the lifecycle goes no further
}

type leadStepLine struct{ At, Status, Reply string }

// ownLeadsShown is how many leads the page shows: the newest.
const ownLeadsShown = 100

// leads is GET /leads: the leads the signed-in enterprise's own steps
// opened and where each stands, as EnterpriseService.ListOwnLeads answers
// (what the enterprise may read of them is the service's to decide).
func (s *server) leads(w http.ResponseWriter, r *http.Request) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.ent.ListOwnLeads(as(ctx, sess), &ruqiv1.ListOwnLeadsRequest{PageSize: ownLeadsShown})
	if err != nil {
		if sessionEnded(w, r, err) {
			return
		}
		render(w, httpStatus(err), "result", "问题线索", resultData{Banner: badBanner("无法读取问题线索", apiMessage(err)), Back: "/", BackTo: "返回首页"})
		return
	}
	d := leadsData{More: resp.GetNextPageToken() != ""}
	for _, l := range resp.GetLeads() {
		v := ownLead{ID: l.GetId(), Kind: domain.LeadKindLabel(l.GetKind()), Status: domain.LeadStatusLabel(l.GetStatus()),
			Opened: beijing(l.GetCreatedAt()), Description: l.GetDescription(), Inspection: l.GetInspectionId(),
			Closed: len(domain.LeadNextStatuses(l.GetStatus())) == 0}
		if c := l.GetOfficerClaimed(); c != "" {
			v.Description += "（对方自称：" + c + "）"
		}
		for _, st := range l.GetSteps() {
			v.Steps = append(v.Steps, leadStepLine{At: beijing(st.GetAt()), Status: domain.LeadStatusLabel(st.GetStatus()), Reply: st.GetReply()})
		}
		d.Leads = append(d.Leads, v)
	}
	render(w, http.StatusOK, "leads", "问题线索", d)
}
