package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The public list of inspection plans (检查计划公示): no sign-in. It calls
// PlanService.ListPublishedPlans, which answers only published versions,
// like any other client.

type plansData struct {
	Region  string
	Problem string
	Plans   []planView
}

type planView struct {
	ID, Agency, Title, Type, Scope, Items, Period string
	Versions                                      []planVersionView
}

type planVersionView struct {
	Version, Published, Note string
	Late                     bool
}

// maxPublicPlans bounds one page: the list is read a page of the API at a
// time up to this many.
const maxPublicPlans = 1000

func (s *server) plans(w http.ResponseWriter, r *http.Request) {
	d := plansData{Region: strings.TrimSpace(r.URL.Query().Get("region"))}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	var token string
	for len(d.Plans) < maxPublicPlans {
		resp, err := s.plan.ListPublishedPlans(ctx, &ruqiv1.ListPublishedPlansRequest{RegionCode: d.Region, PageSize: 500, PageToken: token})
		if err != nil {
			d.Problem = apiMessage(err)
			render(w, httpStatus(err), "plans", "检查计划公示", d)
			return
		}
		names := planNamesOf(resp)
		for _, p := range resp.GetPlans() {
			d.Plans = append(d.Plans, viewPlan(p, names))
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	render(w, http.StatusOK, "plans", "检查计划公示", d)
}

// planNames are the names a page of published plans reads in: an agency's
// name, an item's name with its legal basis (the list showed AG-01 and
// CI-0001、CI-0002, an agency's trial, 2026-12-06).
type planNames struct{ agencies, items map[string]string }

func planNamesOf(resp *ruqiv1.ListPublishedPlansResponse) planNames {
	n := planNames{agencies: map[string]string{}, items: map[string]string{}}
	for _, a := range resp.GetAgencies() {
		n.agencies[a.GetId()] = a.GetName()
	}
	for _, it := range resp.GetCheckItems() {
		name := it.GetName()
		if b := domain.LegalBasisText(it.GetLegalBasis()); b != "" {
			name += "（依据" + b + "）"
		}
		n.items[it.GetId()] = name
	}
	return n
}

// name is what names says of id, or the id where it says nothing.
func name(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

func viewPlan(p *ruqiv1.Plan, names planNames) planView {
	vs := p.GetVersions()
	n := vs[len(vs)-1]
	var items []string
	for _, id := range n.GetCheckItemIds() {
		items = append(items, name(names.items, id))
	}
	v := planView{ID: p.GetId(), Agency: name(names.agencies, p.GetAgencyId()), Title: n.GetTitle(), Type: inspectionTypes[n.GetType()],
		Items: strings.Join(items, "；"), Period: fmtDay(n.GetPeriodStart().AsTime()) + " 至 " + fmtDay(n.GetPeriodEnd().AsTime())}
	sc := n.GetScope()
	switch {
	case len(sc.GetEnterpriseUsccs()) > 0:
		v.Scope = fmt.Sprintf("%d家企业：%s", len(sc.GetEnterpriseUsccs()), strings.Join(sc.GetEnterpriseUsccs(), "、"))
	case sc.GetIndustry() != "":
		v.Scope = "行政区划 " + sc.GetRegionCode() + " 内" + sc.GetIndustry() + "行业的企业"
	default:
		v.Scope = "行政区划 " + sc.GetRegionCode() + " 内的企业"
	}
	for _, pv := range vs {
		note := pv.GetReason()
		if pv.GetEmergency() {
			note = "应急调整：" + note
		}
		v.Versions = append(v.Versions, planVersionView{Version: fmt.Sprintf("第%d版", pv.GetVersion()),
			Published: fmtDay(pv.GetPublishedAt().AsTime()), Note: note, Late: pv.GetPublishedLate()})
	}
	return v
}

// fmtDay is a day in Beijing time; a period's end is exclusive, so a plan
// for December reads "2026-12-01 至 2027-01-01".
func fmtDay(t time.Time) string { return t.In(domain.Shanghai).Format("2006-01-02") }
