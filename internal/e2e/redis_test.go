package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The same 64-at-once registration, through a server that coordinates in
// Redis.
func TestRedis_ConcurrentRegistrations_OneJointInspection(t *testing.T) {
	rs := redistest.Start(t)
	concurrentRegistrations(t, newWorld(t, "-redis-addr", rs.Addr()))
}

// Redis dies: registration answers UNAVAILABLE and writes nothing, scanning
// goes on. Redis comes back empty: the server reseeds each enterprise from
// the store and decides as if Redis had never gone, without a restart.
func TestRedis_KilledAndRestartedEmpty(t *testing.T) {
	rs := redistest.Start(t)
	w := newWorld(t, "-redis-addr", rs.Addr())
	now := time.Now()
	a, err := w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], now, now.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}

	w.officerToken(w.f.officersOf["AG-02"][0])
	rs.Kill()
	before := w.eventCount()
	_, err = w.registerAs("AG-02", w.f.entA, w.f.itemsOf["AG-02"][:1], now, now.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "Redis") {
		t.Fatalf("registration with Redis down: %v, want UNAVAILABLE naming Redis", err)
	}
	if after := w.eventCount(); after != before {
		t.Fatalf("a refused registration wrote %d events", after-before)
	}
	got, _ := w.scan(w.entA, a.GetCodes()[0].GetToken())
	wantVerdict(t, "scan with Redis down", got, ruqiv1.Verdict_VERDICT_VALID)

	rs.Restart() // empty
	// The same agency again: a duplicate, known from the store.
	_, err = w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], now.Add(time.Hour), now.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	wantStatus(t, err, codes.AlreadyExists, "DUPLICATE_PLAN")
	// Another agency joins the plan registered before Redis died.
	b, err := w.registerAs("AG-02", w.f.entA, w.f.itemsOf["AG-02"][:1], now, now.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if j := b.GetJointInspection(); j == nil || len(j.GetInspectionIds()) != 2 || j.GetLeadAgencyId() != "AG-01" {
		t.Fatalf("after Redis came back empty: joint %v, want AG-01's plan and this one", j)
	}
	// And the year's count survived too: AG-01's second plan this year is
	// accepted, the third capped (2 per agency per year).
	later := now.Add(48 * time.Hour)
	if _, err := w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], later, later.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
		t.Fatal(err)
	}
	later = later.Add(48 * time.Hour)
	if later.Year() == now.Year() {
		_, err = w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], later, later.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
		wantStatus(t, err, codes.ResourceExhausted, "FREQUENCY_CAP")
	}
}

// Redis is killed while officers register: every registration either
// succeeded whole (inspection, codes, events) or failed with UNAVAILABLE and
// left nothing.
func TestRedis_KilledDuringRegistrations_NothingHalfWritten(t *testing.T) {
	rs := redistest.Start(t)
	w := newWorld(t, "-redis-addr", rs.Addr())
	for _, a := range w.f.agencies {
		w.officerToken(w.f.officersOf[a][0])
	}
	b, err := readSampleEnterprises(60)
	if err != nil {
		t.Fatal(err)
	}
	before := w.eventCount()
	const n = 60
	var (
		mu        sync.Mutex
		succeeded []string
		wg        sync.WaitGroup
		first     sync.Once
		oneDone   = make(chan struct{})
	)
	// Redis dies once a registration has gone through, while the later
	// ones (started 5 ms apart) are still coming: not after a fixed time,
	// which a slow first registration could outlast.
	go func() { <-oneDone; rs.Kill() }()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 5 * time.Millisecond)
			a := w.f.agencyFor(b[i], i)
			now := time.Now()
			resp, err := w.registerAs(a, b[i], w.f.itemsOf[a][:1], now, now.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_CASE)
			switch status.Code(err) {
			case codes.OK:
				mu.Lock()
				succeeded = append(succeeded, resp.GetInspection().GetId())
				mu.Unlock()
				first.Do(func() { close(oneDone) })
			case codes.Unavailable:
			default:
				t.Errorf("registration %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if len(succeeded) == 0 || len(succeeded) == n {
		t.Fatalf("%d of %d succeeded: the kill did not fall during the registrations", len(succeeded), n)
	}
	// Each success wrote REGISTERED and two CODE_ISSUED; failures nothing.
	events := w.mustCLI(w.admin, "-o", "json", "admin", "events", "list", "--after", fmt.Sprint(before))
	var ev ruqiv1.ListEventsResponse
	mustUnmarshal(t, events, &ev)
	per := map[string]int{}
	for _, e := range ev.GetEvents() {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_REGISTERED || e.GetType() == ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED {
			per[e.GetInspectionId()]++
		}
	}
	if len(per) != len(succeeded) {
		t.Fatalf("%d registrations succeeded but %d inspections have events", len(succeeded), len(per))
	}
	for _, id := range succeeded {
		if per[id] != 3 {
			t.Fatalf("inspection %s has %d of its 3 events", id, per[id])
		}
		if _, err := ruqiv1.NewInspectionServiceClient(w.conn(w.admin)).GetInspectionCodes(context.Background(), &ruqiv1.GetInspectionCodesRequest{InspectionId: id}); err != nil {
			t.Fatalf("codes of %s: %v", id, err)
		}
	}
}

// Redis stops (SIGSTOP) for longer than the server's client timeout while
// officers register, then continues. The registrations answer UNAVAILABLE;
// the decision scripts already sent run when Redis continues and leave
// reservations for plans the store never got. Those held for the whole
// hold (30 s by default), and counted against every other registration at
// the enterprise: an officer who ran the command again (the CLI makes a new
// request id each time) was refused a duplicate of a plan that did not
// exist, and the refusal went to the log and the 司法局's report (a trial of
// the replicas, 2026-12-07). The server now takes them back as soon as Redis
// answers, well within the hold: a new request for the same window is
// registered, and retries with the same request ids are accepted.
func TestRedis_StoppedDuringRegistrations_NoPhantomReservation(t *testing.T) {
	rs := redistest.Start(t)
	w := newWorld(t, "-redis-addr", rs.Addr(), "-confirm-within", "60s")
	for _, a := range w.f.agencies {
		w.officerToken(w.f.officersOf[a][0])
	}
	start := time.Now().Add(time.Hour)
	register := func(i int, requestID string) (*ruqiv1.RegisterInspectionResponse, error) {
		a := w.f.agencyFor(w.f.entA, i)
		officers := w.f.officersOf[a]
		s := start.Add(time.Duration(i) * 24 * time.Hour) // separate visits
		return ruqiv1.NewInspectionServiceClient(w.conn(w.officerToken(officers[0]))).RegisterInspection(context.Background(), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: w.f.entA, CheckItemIds: w.f.itemsOf[a][:1], OfficerIds: officers[:2],
			WindowStart: timestamppb.New(s), WindowEnd: timestamppb.New(s.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, Reason: "暂停测试", TriggerReference: "TS-STOP", RequestId: requestID,
		})
	}
	if _, err := register(0, "stop-0"); err != nil {
		t.Fatal(err)
	}
	const n = 8
	// Connections to Redis made before it stops, so that the decisions
	// below are sent, not stuck dialling: registrations at once, each
	// refused as a duplicate of the first (or registered, no matter).
	var warm sync.WaitGroup
	for i := 1; i <= n; i++ {
		warm.Add(1)
		go func(i int) {
			defer warm.Done()
			register(0, fmt.Sprintf("warm-%d", i))
		}(i)
	}
	warm.Wait()

	rs.Pause()
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = register(i, fmt.Sprintf("stop-%d", i))
		}(i)
	}
	wg.Wait()
	rs.Resume()
	for i := 1; i <= n; i++ {
		if status.Code(errs[i]) != codes.Unavailable {
			t.Fatalf("registration %d with Redis stopped: %v, want UNAVAILABLE", i, errs[i])
		}
	}

	rdb := goredis.NewClient(&goredis.Options{Addr: rs.Addr()})
	defer rdb.Close()
	admin := ruqiv1.NewInspectionServiceClient(w.conn(w.admin))
	phantoms := func() []string {
		t.Helper()
		fields, err := rdb.HKeys(context.Background(), "ruqi:{"+w.f.entA+"}:p").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, id := range fields {
			if strings.HasPrefix(id, "#") {
				continue
			}
			_, err := admin.GetInspection(context.Background(), &ruqiv1.GetInspectionRequest{InspectionId: id})
			switch status.Code(err) {
			case codes.OK:
			case codes.NotFound:
				out = append(out, id)
			default:
				t.Fatalf("inspection %s: %v", id, err)
			}
		}
		return out
	}
	// Redis runs what was sent while it was stopped, and the server takes
	// it back: well within the hold of 60 s, no reservation is left
	// without its plan.
	var left []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		if left = phantoms(); len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) != 0 {
		t.Fatalf("reservations without a stored plan 20 s after Redis continued (the hold is 60 s): %v", left)
	}
	// The decisions that may have run were taken back, not left to the
	// hold (this says the path ran, not that a phantom existed in this
	// run: it did when the test was written, and the test failed without
	// the release).
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(w.log.String(), "took back the reservations of registrations whose decisions may have run unanswered"); {
		if time.Now().After(deadline) {
			t.Fatalf("no reservation taken back after Redis continued; server log:\n%s", w.log)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The officer of the first runs the command again, with a new request
	// id: registered, not a duplicate of the plan that was never written.
	if _, err := register(1, "stop-1-again"); err != nil {
		t.Fatalf("a new request for the window of a registration that failed while Redis was stopped: %v", err)
	}
	// The others retry with the same request ids, and are accepted.
	for i := 2; i <= n; i++ {
		if _, err := register(i, fmt.Sprintf("stop-%d", i)); err != nil {
			t.Fatalf("retry of registration %d: %v", i, err)
		}
	}
	if left := phantoms(); len(left) != 0 {
		t.Fatalf("reservations without a stored plan remain: %v", left)
	}
	if tot := w.reportTotals(); tot.GetInspections() != n+1 {
		t.Fatalf("report counts %d inspections, want %d", tot.GetInspections(), n+1)
	}
	if tot := w.reportTotals(); tot.GetDuplicatesRefused() > n || tot.GetCapsRefused() != 0 {
		// The warm-up's refusals only.
		t.Fatalf("refusals counted: %d duplicates, %d caps; want at most the warm-up's %d duplicates", tot.GetDuplicatesRefused(), tot.GetCapsRefused(), n)
	}
}

// Once Redis answers again, the very next registration goes through: no
// second of failures while the client's dial breaker waits to probe.
func TestRedis_BackAfterOutage_NextRegistrationSucceeds(t *testing.T) {
	rs := redistest.Start(t)
	w := newWorld(t, "-redis-addr", rs.Addr())
	now := time.Now()
	rs.Kill()
	// Enough failed calls to open the Redis client's dial breaker.
	for i := 0; i < 40; i++ {
		_, err := w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], now, now.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("registration %d with Redis down: %v, want UNAVAILABLE", i, err)
		}
	}
	rs.Restart()
	if _, err := w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], now, now.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
		t.Fatalf("first registration after Redis came back: %v", err)
	}
}

// Two stores given one Redis (two deployments, or a test's, configured
// alike): each store's log looked like a restore of the other's, so each
// server dropped the other's states at every report, and decided in
// between on counts of the other's plans. The store that reported first
// keeps the Redis. A server on another store refuses to start, saying what
// to do; one that finds its Redis following another store's log while it
// runs registers nothing (UNAVAILABLE REDIS_OF_ANOTHER_STORE) until the
// Redis is its own again, and its scans go on.
func TestRedis_TwoStoresOneRedis_SecondRefused(t *testing.T) {
	rs := redistest.Start(t)
	a := newWorld(t, "-redis-addr", rs.Addr())
	start := time.Now()
	reg, err := a.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], start, start.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	again := func() error { // a duplicate of reg, refused however Redis is
		_, err := a.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], start, start.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
		return err
	}

	log := runServerExpectingFailure(t, t.TempDir(), "-redis-addr", rs.Addr())
	if !strings.Contains(log, "coordinates another store") || !strings.Contains(log, "--pattern 'ruqi:*'") {
		t.Fatalf("a server on another store, started on a's Redis: its message does not say what to do:\n%s", log)
	}
	if err := again(); reasonOf(err) != "DUPLICATE_PLAN" {
		t.Fatalf("a duplicate at a after the other server refused: %v, want DUPLICATE_PLAN", err)
	}

	// Another store reports its head while a runs (Redis emptied, the
	// other deployment first): a's next report finds it.
	raw := goredis.NewClient(&goredis.Options{Addr: rs.Addr()})
	defer raw.Close()
	if err := raw.Set(context.Background(), "ruqi:store-position", "7:"+strings.Repeat("ab", 32)+":"+strings.Repeat("cd", 32), 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitForReason(t, again, "REDIS_OF_ANOTHER_STORE")
	wantStatus(t, again(), codes.Unavailable, "REDIS_OF_ANOTHER_STORE")
	if got, _ := a.scan(a.entB, reg.GetCodes()[0].GetToken()); got.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("a scan while registration refuses: %v", got.GetVerdict())
	}
	if body := a.healthz(t); !strings.HasPrefix(body, "ok\n") || !strings.Contains(body, "另一个存储") {
		t.Errorf("/healthz while registration refuses for another store's Redis: %q, want ok and a line saying why", body)
	}

	// The other store's keys removed: a follows its Redis again.
	if err := raw.Del(context.Background(), "ruqi:store-position").Err(); err != nil {
		t.Fatal(err)
	}
	waitForReason(t, again, "DUPLICATE_PLAN")
	if body := a.healthz(t); body != "ok\n" {
		t.Errorf("/healthz once Redis follows this store again: %q", body)
	}
}

// waitForReason calls try until it fails with reason; the server follows
// its store's head every five seconds.
func waitForReason(t *testing.T, try func() error, reason string) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if err = try(); reasonOf(err) == reason {
			return
		}
	}
	t.Fatalf("after 30 s: %v, want reason %s", err, reason)
}
