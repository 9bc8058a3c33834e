package web

import (
	"net/http"
	"strings"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// upcomingData is the 检查预告 page.
type upcomingData struct {
	Visits []upcomingVisit
}

type upcomingVisit struct {
	ID, Kind, Type, Agencies, Window, State string
	Items                                   []string
	NotInspection, Begun, Refused           bool
}

// upcoming is 检查预告 for the signed-in enterprise: its registered visits
// still to come, as EnterpriseService.ListUpcomingVisits answers (the notice
// rule is the service's, domain.Notice).
func (s *server) upcoming(w http.ResponseWriter, r *http.Request) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.ent.ListUpcomingVisits(as(ctx, sess), &ruqiv1.ListUpcomingVisitsRequest{})
	if err != nil {
		if sessionEnded(w, r, err) {
			return
		}
		render(w, httpStatus(err), "result", "检查预告", resultData{Banner: badBanner("无法读取检查预告", apiMessage(err)), Back: "/", BackTo: "返回首页"})
		return
	}
	var d upcomingData
	for _, v := range resp.GetVisits() {
		var agencies []string
		for _, a := range v.GetAgencies() {
			agencies = append(agencies, a.GetName())
		}
		uv := upcomingVisit{ID: strings.Join(v.GetInspectionIds(), "、"), Kind: domain.VisitKindLabel(v.GetVisitKind()),
			Type: inspectionTypes[v.GetType()], Agencies: strings.Join(agencies, "、"),
			Window: window(v.GetWindowStart().AsTime(), v.GetWindowEnd().AsTime()), Begun: v.GetBegun(),
			NotInspection: !domain.IsInspection(v.GetVisitKind()), State: domain.UpcomingState(v), Refused: v.GetRefusedAt() != nil}
		for _, it := range v.GetCheckItems() {
			uv.Items = append(uv.Items, domain.LineName(it))
		}
		d.Visits = append(d.Visits, uv)
	}
	render(w, http.StatusOK, "upcoming", "检查预告", d)
}
