package sim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// specialPlans gives each agency one approved special-campaign plan
// (专项检查计划) for the run, filed and approved on its first 专项
// registration: a 专项 registration must name one. The plan covers the
// agency's territory (属地管辖: all it may inspect) and every item of its
// catalogue, so that it admits all the run's 专项 plans.
type specialPlans struct {
	dir *ruqiv1.Directory
	mu  sync.Mutex
	m   map[string]*planEntry
}

type planEntry struct {
	once sync.Once
	id   string
	err  error
}

func newSpecialPlans(dir *ruqiv1.Directory) *specialPlans {
	return &specialPlans{dir: dir, m: map[string]*planEntry{}}
}

// get returns the agency's approved plan id, filing and approving it once.
func (sp *specialPlans) get(ctx context.Context, r *runner, agency string) (string, error) {
	sp.mu.Lock()
	e := sp.m[agency]
	if e == nil {
		e = &planEntry{}
		sp.m[agency] = e
	}
	sp.mu.Unlock()
	e.once.Do(func() { e.id, e.err = sp.file(ctx, r, agency) })
	return e.id, e.err
}

func (sp *specialPlans) file(ctx context.Context, r *runner, agency string) (string, error) {
	var region string
	for _, a := range sp.dir.GetAgencies() {
		if a.GetId() == agency {
			region = a.GetRegionCode()
		}
	}
	if len(region) < 2 {
		return "", fmt.Errorf("部门 %s 不在名录中", agency)
	}
	var items []string
	for _, it := range sp.dir.GetCheckItems() {
		if it.GetAgencyId() == agency && !it.GetRetired() {
			items = append(items, it.GetId())
		}
	}
	head, ok := r.token(ctx, ruqiv1.Role_ROLE_AGENCY_HEAD, agency)
	if !ok {
		return "", fmt.Errorf("部门 %s 负责人的令牌未能签发", agency)
	}
	// The agency's administrator files, the head approves: a head may not
	// approve what they filed themselves.
	filer, ok := r.token(ctx, ruqiv1.Role_ROLE_AGENCY_ADMIN, agency)
	if !ok {
		return "", fmt.Errorf("部门 %s 管理员的令牌未能签发", agency)
	}
	now := time.Now()
	cctx, cancel := r.c.as(ctx, filer)
	defer cancel()
	filed, err := r.c.plan.FilePlan(cctx, &ruqiv1.FilePlanRequest{
		Title: "专项检查计划（模拟）", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		// The agency's territory (属地管辖): every enterprise it may inspect.
		Scope:        &ruqiv1.PlanScope{RegionCode: region},
		CheckItemIds: items, PeriodStart: timestamppb.New(now.Add(-24 * time.Hour)), PeriodEnd: timestamppb.New(now.Add(300 * 24 * time.Hour)),
		Reason: "ruqi simulate（模拟）",
	})
	if err != nil {
		return "", err
	}
	id := filed.GetPlan().GetId()
	cctx2, cancel2 := r.c.as(ctx, head)
	defer cancel2()
	if _, err := r.c.plan.ApprovePlan(cctx2, &ruqiv1.ApprovePlanRequest{PlanId: id, Version: 1}); err != nil {
		return "", err
	}
	return id, nil
}
