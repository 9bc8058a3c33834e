package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// gatedStore holds one armed Update until released: a write whose step took
// its time (s.now()) before the store ran it, as a busy writer, a retried
// PostgreSQL transaction or a replica's clock makes it.
type gatedStore struct {
	store.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) Unwrap() store.Store { return g.Store }

func (g *gatedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return g.Store.Update(ctx, fn)
}

type anonEnv struct {
	*env
	clock *atomic.Pointer[time.Time]
	gate  *gatedStore
	off   *registrar
	admin string // AG-01's agency administrator
}

func newAnonEnv(t *testing.T) *anonEnv {
	t.Helper()
	return newAnonEnvWith(t, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
}

// newAnonEnvWith is newAnonEnv with the coordinator newCoord makes.
func newAnonEnvWith(t *testing.T, newCoord func(coord.Seeder) (coord.Coordinator, error)) *anonEnv {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
	clock := &atomic.Pointer[time.Time]{}
	t0 := time.Now()
	clock.Store(&t0)
	e := newEnvWith(t, g, newCoord, func(c *service.Config) { c.Now = func() time.Time { return *clock.Load() } })
	a := &anonEnv{env: e, clock: clock, gate: g}
	a.off = e.registrar(t, "AG-01")
	a.admin = e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")
	return a
}

func (a *anonEnv) set(t time.Time) { a.clock.Store(&t) }

// closedVisit registers AG-01's case check of uscc at start (the clock just
// before it), records "no problem" and closes it within its window.
func (a *anonEnv) closedVisit(t *testing.T, uscc string, start time.Time) string {
	t.Helper()
	return a.closeVisit(t, uscc, start).GetInspection().GetId()
}

// closeVisit is closedVisit answering the close's response.
func (a *anonEnv) closeVisit(t *testing.T, uscc string, start time.Time) *ruqiv1.RecordResultResponse {
	t.Helper()
	a.set(start.Add(-time.Minute))
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	reg, err := ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: a.off.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-" + uscc[:6], Reason: "投诉举报",
		// From the fourth visit the officers' no-finding streak holds
		// the next check until a reason is given (成都).
		StreakReason: "又一次投诉举报"})
	if err != nil {
		t.Fatal(err)
	}
	id := reg.GetInspection().GetId()
	a.set(start.Add(time.Hour))
	resp, err := ins.RecordResult(a.as(a.off.tok), &ruqiv1.RecordResultRequest{InspectionId: id, Close: true,
		Items: []*ruqiv1.ItemResult{{CheckItemId: a.off.items[0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (a *anonEnv) evaluate(t *testing.T, uscc, id string, cert bool, overall int32) error {
	t.Helper()
	return a.evaluateAs(a.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc), id, cert, overall)
}

func (a *anonEnv) evaluateAs(tok, id string, cert bool, overall int32) error {
	_, err := ruqiv1.NewEnterpriseServiceClient(a.cc).EvaluateInspection(a.as(tok),
		&ruqiv1.EvaluateInspectionRequest{InspectionId: id, CertificateShown: cert, RightsExplained: true, ConductedProperly: true, Overall: overall})
	return err
}

func (a *anonEnv) summary(t *testing.T) *ruqiv1.EvaluationSummary {
	t.Helper()
	s, err := ruqiv1.NewInspectionServiceClient(a.cc).GetEvaluationSummary(a.as(a.admin), &ruqiv1.GetEvaluationSummaryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return s.GetSummary()
}

// lastMonth is 10:00 Beijing on day d of the month before the real one.
func lastMonth(d int) time.Time { return monthsAgo(1, d) }

// monthsAgo is 10:00 Beijing on day d of the month m before the real one.
// An inspection closed in it counts towards the agency's margin from the
// month after (report.EvalDue).
func monthsAgo(m, d int) time.Time {
	n := time.Now().In(domain.Shanghai)
	return time.Date(n.Year(), n.Month()-time.Month(m), d, 10, 0, 0, 0, domain.Shanghai)
}

// The agency knows which of its inspections it closed. Had every one of
// those enterprises evaluated, the summary's count would say who evaluated,
// and a share of 0 or 1 (an average of 1 or 5) what each answered. It is
// shown nothing until at least MinEvaluations of them have not evaluated.
// (Found by a read-only review, 2026-12-03.)
func TestEvaluationSummary_AgencyNeverLearnsWhoEvaluated(t *testing.T) {
	a := newAnonEnv(t)
	ents := a.dir.GetEnterprises()
	closed := map[string]string{} // inspection → enterprise, as the agency knows it
	for i := range 3 {
		uscc := ents[i].GetUscc()
		closed[a.closedVisit(t, uscc, monthsAgo(2, 3+i))] = uscc
	}
	for id, uscc := range closed {
		a.set(lastMonth(10))
		if err := a.evaluate(t, uscc, id, false, 1); err != nil {
			t.Fatal(err)
		}
	}
	a.set(time.Now().Add(48 * time.Hour))
	if s := a.summary(t); s.GetEvaluations() != 0 || s.GetOverallAverage() != 0 || s.GetCertificateShownShare() != 0 {
		t.Fatalf("every enterprise the agency closed an inspection of evaluated, and it reads %v", s)
	}
	// Three more closed, not evaluated (the month before, so that their
	// enterprises had the whole month to): each of the six may be one that
	// did not evaluate, and the three evaluations are shown.
	for i := 3; i < 6; i++ {
		a.closedVisit(t, ents[i].GetUscc(), monthsAgo(2, 9+i))
	}
	a.set(time.Now().Add(48 * time.Hour))
	if s := a.summary(t); s.GetEvaluations() != 3 || s.GetOverallAverage() != 1 {
		t.Fatalf("three evaluations of six closed inspections: the agency reads %v, want the three", s)
	}
}

// An evaluation takes its month when its step begins. One begun at
// 23:59:59.9 on the last day of a month that commits after the agency read
// its summary at 00:00:00.1 must not change what that reading showed: the
// next reading would differ by one enterprise's answers. A month is closed
// to the agency a day after it ends. (Found by a read-only review,
// 2026-12-03.)
func TestEvaluationSummary_AMonthShownNeverChanges(t *testing.T) {
	a := newAnonEnv(t)
	ents := a.dir.GetEnterprises()
	for i := range 3 {
		uscc := ents[i].GetUscc()
		id := a.closedVisit(t, uscc, monthsAgo(2, 3+i))
		a.set(lastMonth(12))
		if err := a.evaluate(t, uscc, id, true, 5); err != nil {
			t.Fatal(err)
		}
	}
	target := ents[3].GetUscc()
	id := a.closedVisit(t, target, monthsAgo(2, 20))
	n := time.Now().In(domain.Shanghai)
	monthStart := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, domain.Shanghai)
	a.set(monthStart.Add(-100 * time.Millisecond)) // 23:59:59.9 on the last day of last month

	tok := a.token(t, ruqiv1.Role_ROLE_ENTERPRISE, target)
	a.gate.armed.Store(true)
	var wg sync.WaitGroup
	var evalErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		evalErr = a.evaluateAs(tok, id, false, 1)
	}()
	<-a.gate.entered // the step has its time; its write waits for the store
	a.set(monthStart.Add(100 * time.Millisecond))
	before := a.summary(t) // the agency, at 00:00:00.1: last month is closed
	close(a.gate.release)
	wg.Wait()
	if evalErr != nil {
		t.Fatal(evalErr)
	}
	for i := 4; i < 8; i++ { // enough closed and not evaluated for a release, counted from last month
		a.closedVisit(t, ents[i].GetUscc(), monthsAgo(2, 21))
	}
	a.set(monthStart.Add(time.Hour))
	if s := a.summary(t); s.GetEvaluations() != before.GetEvaluations() {
		t.Errorf("an hour into the month the agency reads %d evaluations, at 00:00:00.1 %d", s.GetEvaluations(), before.GetEvaluations())
	}
	a.set(monthStart.Add(25 * time.Hour))
	after := a.summary(t)
	if after.GetEvaluations() != 4 {
		t.Errorf("a day after the month ended the agency reads %d evaluations, want its 4", after.GetEvaluations())
	}
	t.Logf("agency reads at 00:00:00.1: %d evaluations, cert share %.4f, average %.4f", before.GetEvaluations(), before.GetCertificateShownShare(), before.GetOverallAverage())
	t.Logf("agency reads a day later:  %d evaluations, cert share %.4f, average %.4f", after.GetEvaluations(), after.GetCertificateShownShare(), after.GetOverallAverage())
	if d := after.GetEvaluations() - before.GetEvaluations(); d > 0 && d < inspection.MinEvaluations {
		nb, na := float64(before.GetEvaluations()), float64(after.GetEvaluations())
		t.Errorf("two readings of closed months differ by %d evaluation(s): the last evaluator answered certificate_shown=%v overall=%.0f",
			d, after.GetCertificateShownShare()*na-before.GetCertificateShownShare()*nb > 0.5, after.GetOverallAverage()*na-before.GetOverallAverage()*nb)
	}
}

// An enterprise cannot tell another enterprise's inspection from one that
// does not exist, by code or message, on any call that takes an id.
func TestEnterprise_ForeignAndMissingInspectionsAnswerAlike(t *testing.T) {
	a := newAnonEnv(t)
	ents := a.dir.GetEnterprises()
	foreign := a.closedVisit(t, ents[0].GetUscc(), lastMonth(3))
	missing := foreign[:len(foreign)-4] + "ZZZZ"
	a.set(lastMonth(10))
	tok := a.token(t, ruqiv1.Role_ROLE_ENTERPRISE, ents[1].GetUscc())
	ctx := a.as(tok)
	ent := ruqiv1.NewEnterpriseServiceClient(a.cc)
	calls := map[string]func(id string) error{
		"GetInspection": func(id string) error {
			_, err := ruqiv1.NewInspectionServiceClient(a.cc).GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: id})
			return err
		},
		"Evaluate": func(id string) error {
			_, err := ent.EvaluateInspection(ctx, &ruqiv1.EvaluateInspectionRequest{InspectionId: id, Overall: 3})
			return err
		},
		"Complain": func(id string) error {
			_, err := ent.Complain(ctx, &ruqiv1.ComplainRequest{InspectionId: id, Description: "x"})
			return err
		},
		"Refuse": func(id string) error {
			_, err := ent.RefuseInspection(ctx, &ruqiv1.RefuseInspectionRequest{InspectionId: id, Reason: "x"})
			return err
		},
		"ListReceipts": func(id string) error {
			_, err := ruqiv1.NewLogServiceClient(a.cc).ListReceipts(ctx, &ruqiv1.ListReceiptsRequest{InspectionId: id})
			return err
		},
	}
	for name, call := range calls {
		ef, em := call(foreign), call(missing)
		sf, sm := strings.ReplaceAll(fmt.Sprint(ef), foreign, "ID"), strings.ReplaceAll(fmt.Sprint(em), missing, "ID")
		if sf != sm {
			t.Errorf("%s: foreign %q, missing %q", name, sf, sm)
		}
	}
}

// A supervisor reads the live figures, shares included from the first
// evaluation (it may list each one anyway), and is told they are live; the
// agency, at the same moment, reads nothing below the floor. A 司法局 was
// told its one evaluation was withheld "to protect the enterprise" (a
// trial, 2026-12-06).
func TestEvaluationSummary_SupervisorReadsLiveFigures(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[0].GetUscc()
	id := a.closedVisit(t, uscc, time.Now().Add(time.Minute))
	a.set(time.Now().Add(3 * time.Hour))
	if err := a.evaluate(t, uscc, id, true, 4); err != nil {
		t.Fatal(err)
	}
	sup := a.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510000")
	resp, err := ruqiv1.NewInspectionServiceClient(a.cc).GetEvaluationSummary(a.as(sup), &ruqiv1.GetEvaluationSummaryRequest{AgencyId: "AG-01"})
	if err != nil {
		t.Fatal(err)
	}
	if s := resp.GetSummary(); !s.GetLive() || s.GetEvaluations() != 1 || s.GetOverallAverage() != 4 || s.GetCertificateShownShare() != 1 {
		t.Errorf("the supervisor reads %v: want the live figures of the one evaluation", s)
	}
	if s := a.summary(t); s.GetLive() || s.GetEvaluations() != 0 || s.GetOverallAverage() != 0 {
		t.Errorf("the agency reads %v: want nothing below the floor, not live", s)
	}
}
