package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// province is three replicas on one PostgreSQL and one Redis, sharing one
// log key, as tools/cluster.sh runs them.
type province struct {
	pg       *pgtest.Server
	rs       *redistest.Server
	url      string
	replicas []*world
}

func startProvince(t *testing.T, extraArgs ...string) *province {
	t.Helper()
	p := &province{pg: pgtest.Start(t), rs: redistest.Start(t)}
	p.url = p.pg.NewDatabase(t)
	key := filepath.Join(t.TempDir(), "log.key")
	if out, err := exec.Command(filepath.Join(binDir, "ruqi"), "witness", "keygen", "--name", "ruqi.province/log", "--key-file", key).CombinedOutput(); err != nil {
		t.Fatalf("log key: %v\n%s", err, out)
	}
	args := append([]string{"-store", p.url, "-redis-addr", p.rs.Addr(), "-log-key-file", key, "-log-interval", "200ms"}, extraArgs...)
	// The first replica starts alone, so it is the one that holds the
	// sequencer's lock when the others join.
	first := newWorld(t, args...)
	p.replicas = append(p.replicas, first)
	for i := 0; i < 2; i++ {
		w := &world{server: startServer(t, args...), f: first.f}
		w.officer, w.entA, w.entB = first.officer, first.entA, first.entB
		p.replicas = append(p.replicas, w)
	}
	return p
}

// openStore reads the shared record directly, as an auditor would.
func (p *province) openStore(t *testing.T) store.Store {
	t.Helper()
	o := postgres.DefaultOptions()
	o.NoSequencer = true // the replicas sequence; the auditor only reads
	st, err := postgres.Open(context.Background(), p.url, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestReplicas_ThreeShareOneRecord(t *testing.T) {
	p := startProvince(t)
	a, b, c := p.replicas[0], p.replicas[1], p.replicas[2]

	// A token issued at one replica works at every replica.
	sup := a.issueToken("supervisor", "510000")
	for i, w := range p.replicas {
		if _, err := ruqiv1.NewSupervisionServiceClient(w.conn(sup)).ListLeads(context.Background(), &ruqiv1.ListLeadsRequest{}); err != nil {
			t.Fatalf("token issued at replica 0, used at replica %d: %v", i, err)
		}
	}

	// A code issued at one replica is VALID at the others.
	reg := b.register("now", "now+4h")
	for i, w := range []*world{a, c} {
		got, _ := w.scan(w.entA, reg.GetCodes()[i].GetToken())
		wantVerdict(t, "code issued at b", got, ruqiv1.Verdict_VERDICT_VALID)
	}

	// Two agencies' overlapping plans, registered at two replicas, are one
	// joint inspection that a scan at the third shows whole.
	start := time.Now()
	p3, err := a.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], start, start.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	p4, err := b.registerAs("AG-04", a.f.entB, a.f.itemsOf["AG-04"][:1], start, start.Add(3*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if j := p4.GetJointInspection(); j == nil || len(j.GetInspectionIds()) != 2 {
		t.Fatalf("plans registered at two replicas: joint %v, want both", j)
	}
	got, _ := c.scan(c.entB, p3.GetCodes()[0].GetToken())
	wantVerdict(t, "AG-07's code at c", got, ruqiv1.Verdict_VERDICT_VALID)
	if n := len(got.GetInspection().GetAgencies()); n != 2 {
		t.Fatalf("scan at c shows %d agencies, want the whole joint inspection (2)", n)
	}

	// A key rotated at one replica signs there and verifies everywhere; the
	// others publish it within seconds.
	rot, err := ruqiv1.NewKeyServiceClient(c.conn(c.admin)).RotateSigningKey(context.Background(), &ruqiv1.RotateSigningKeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	fresh := c.registerFor(c.f.entB, "now+5h", "now+7h")
	if kid := fresh.GetCodes()[0].GetKeyId(); kid != rot.GetActive().GetKeyId() {
		t.Fatalf("code after rotation at c signed with %s, want the new key %s", kid, rot.GetActive().GetKeyId())
	}
	for i, w := range []*world{a, b} {
		got, _ := w.scan(w.entB, fresh.GetCodes()[0].GetToken())
		if got.GetVerdict() == ruqiv1.Verdict_VERDICT_UNKNOWN_KEY || got.GetVerdict() == ruqiv1.Verdict_VERDICT_BAD_SIGNATURE {
			t.Fatalf("code signed with a key rotated at c: %s at replica %d", got.GetVerdict(), i)
		}
		eventually(t, "the new key published at every replica", func() error {
			keys, err := ruqiv1.NewKeyServiceClient(w.conn("")).ListPublicKeys(context.Background(), &ruqiv1.ListPublicKeysRequest{})
			if err != nil {
				return err
			}
			for _, k := range keys.GetKeys() {
				if k.GetKeyId() == rot.GetActive().GetKeyId() && k.GetStatus() == ruqiv1.KeyStatus_KEY_STATUS_ACTIVE {
					return nil
				}
			}
			return fmt.Errorf("replica %d does not publish %s as active", i, rot.GetActive().GetKeyId())
		})
	}

	// The 司法局's report is the same at every replica.
	var first *ruqiv1.GetFrequencyReportResponse
	for i, w := range p.replicas {
		rep, err := ruqiv1.NewReportServiceClient(w.conn(sup)).GetFrequencyReport(context.Background(), &ruqiv1.GetFrequencyReportRequest{GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = rep
			continue
		}
		if !proto.Equal(first, rep) {
			t.Fatalf("report at replica %d differs from replica 0:\n%v\n%v", i, rep, first)
		}
	}

	// One Merkle log, built by one sequencer: every replica serves the
	// same checkpoint once the log is idle.
	eventually(t, "one checkpoint at every replica", func() error {
		var cps []string
		for _, w := range p.replicas {
			cp, err := ruqiv1.NewLogServiceClient(w.conn("")).GetCheckpoint(context.Background(), &ruqiv1.GetCheckpointRequest{})
			if err != nil {
				return err
			}
			cps = append(cps, strings.SplitN(cp.GetCheckpoint(), "\n\n", 2)[0])
		}
		if cps[0] != cps[1] || cps[1] != cps[2] {
			return fmt.Errorf("checkpoints differ: %q", cps)
		}
		return nil
	})
}

// load registers plans at the replicas in turn until stop, recording the
// ones acknowledged. Plans collide on purpose (few enterprises, windows in a
// narrow range), so that duplicates, joins and caps are all decided.
type load struct {
	mu       sync.Mutex
	acked    map[string]*ruqiv1.Inspection
	failures map[codes.Code]int
	messages map[codes.Code]string
	n        atomic.Int64
}

func runLoad(t *testing.T, p *province, ents []string, targets func() []*world, stop <-chan struct{}, workers int) *load {
	t.Helper()
	l := &load{acked: map[string]*ruqiv1.Inspection{}, failures: map[codes.Code]int{}, messages: map[codes.Code]string{}}
	f := p.replicas[0].f
	base := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	// Every agency's token, issued before the load: one issued lazily
	// while a replica is killed fails the test, not the replica (a
	// district's agency is drawn only for its own district's enterprises,
	// so it may first come up late).
	for _, r := range targets() {
		for _, a := range f.agencies {
			r.officerToken(f.officersOf[a][0])
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ts := targets()
				if len(ts) == 0 {
					return
				}
				r := ts[(w+i)%len(ts)]
				uscc := ents[rng.IntN(len(ents))]
				agency := f.agencyFor(uscc, rng.IntN(1<<20))
				officers := f.officersOf[agency]
				start := base.Add(time.Duration(rng.IntN(48)) * 30 * time.Minute)
				req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: uscc, CheckItemIds: f.itemsOf[agency][:1], OfficerIds: officers[:2],
					WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
					Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "多副本负载测试", RequestId: fmt.Sprintf("load-%d-%d", w, i)}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				resp, err := ruqiv1.NewInspectionServiceClient(r.conn(r.officerToken(officers[0]))).RegisterInspection(ctx, req)
				cancel()
				l.n.Add(1)
				l.mu.Lock()
				if err == nil {
					l.acked[resp.GetInspection().GetId()] = resp.GetInspection()
				} else {
					c := status.Code(err)
					l.failures[c]++
					l.messages[c] = status.Convert(err).Message()
				}
				l.mu.Unlock()
			}
		}(w)
	}
	t.Cleanup(wg.Wait)
	go func() { <-stop; wg.Wait() }()
	return l
}

// checkDecisions holds the shared store to 无事不扰 and to the rule that an
// agency has one open plan at a time per enterprise: no two live plans of
// one agency overlap at one enterprise, and no agency has more than the
// default cap (2 a year) of routine plans at one enterprise. It returns the
// number of wrong decisions it finds.
func checkDecisions(t *testing.T, st store.Store, ents []string) int {
	t.Helper()
	wrong := 0
	err := st.View(context.Background(), func(r store.Reader) error {
		for _, u := range ents {
			list, err := r.InspectionsOfEnterprise(u, store.Page{Limit: 10000})
			if err != nil {
				return err
			}
			byAgency := map[string][]*ruqiv1.Inspection{}
			for _, in := range list {
				if in.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
					continue
				}
				byAgency[in.GetAgencyId()] = append(byAgency[in.GetAgencyId()], in)
			}
			for ag, ins := range byAgency {
				if len(ins) > 2 {
					t.Errorf("%s has %d live plans at %s: over the cap of 2", ag, len(ins), u)
					wrong += len(ins) - 2
				}
				for i := range ins {
					for j := i + 1; j < len(ins); j++ {
						a, b := ins[i], ins[j]
						if a.GetWindowStart().AsTime().Before(b.GetWindowEnd().AsTime()) && b.GetWindowStart().AsTime().Before(a.GetWindowEnd().AsTime()) {
							t.Errorf("%s has overlapping plans %s and %s at %s: a duplicate accepted", ag, a.GetId(), b.GetId(), u)
							wrong++
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return wrong
}

func (l *load) acknowledged() map[string]*ruqiv1.Inspection {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]*ruqiv1.Inspection, len(l.acked))
	for k, v := range l.acked {
		out[k] = v
	}
	return out
}

func waitCount(l *load, atLeast int64) {
	for i := 0; i < 600 && l.n.Load() < atLeast; i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// Faults with three replicas under load: Redis killed and restarted empty,
// 0 wrong decisions; one replica killed with kill -9, 0 acknowledged
// registrations lost and the others keep serving; PostgreSQL restarted,
// UNAVAILABLE naming it, then recovery without restarting any replica; the
// sequencer's holder killed, another takes over.
func TestReplicas_FaultsUnderLoad(t *testing.T) {
	p := startProvince(t)
	a, b, c := p.replicas[0], p.replicas[1], p.replicas[2]
	for _, ag := range a.f.agencies {
		a.officerToken(a.f.officersOf[ag][0])
	}
	st := p.openStore(t)
	// Each fault gets its own six enterprises: the caps (2 plans per agency
	// a year) fill up under load, and a later fault must still have room.
	pool, err := readSampleEnterprises(18)
	if err != nil {
		t.Fatal(err)
	}

	var live atomic.Pointer[[]*world]
	all := []*world{a, b, c}
	live.Store(&all)
	targets := func() []*world { return *live.Load() }

	t.Run("Redis restarted empty mid-load", func(t *testing.T) {
		stop := make(chan struct{})
		ents := pool[0:6]
		l := runLoad(t, p, ents, targets, stop, 6)
		waitCount(l, 60)
		p.rs.Kill()
		time.Sleep(300 * time.Millisecond)
		p.rs.Restart() // empty: it keeps nothing on disk
		n := l.n.Load()
		waitCount(l, n+120)
		close(stop)
		time.Sleep(200 * time.Millisecond)
		if len(l.acknowledged()) == 0 {
			t.Fatal("no registration acknowledged")
		}
		if wrong := checkDecisions(t, st, ents); wrong != 0 {
			t.Fatalf("%d wrong decisions after Redis restarted empty (of %d registrations)", wrong, l.n.Load())
		}
		t.Logf("%d registrations, %d acknowledged, refusals %v", l.n.Load(), len(l.acknowledged()), l.failures)
	})

	t.Run("one replica killed with kill -9", func(t *testing.T) {
		stop := make(chan struct{})
		ents := pool[6:12]
		l := runLoad(t, p, ents, targets, stop, 6)
		waitCount(l, 60)
		if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		b.cmd.Wait()
		b.cmd = nil
		rest := []*world{a, c}
		live.Store(&rest)
		before := len(l.acknowledged())
		n := l.n.Load()
		waitCount(l, n+120)
		close(stop)
		time.Sleep(200 * time.Millisecond)
		acked := l.acknowledged()
		if len(acked) <= before {
			t.Fatalf("the other replicas stopped serving: %d acknowledged before the kill, %d after", before, len(acked))
		}
		lost := 0
		err := st.View(context.Background(), func(r store.Reader) error {
			for id := range acked {
				if _, err := r.Inspection(id); err != nil {
					t.Errorf("acknowledged %s is not in the store: %v", id, err)
					lost++
				}
			}
			return nil
		})
		if err != nil || lost != 0 {
			t.Fatalf("%d of %d acknowledged registrations lost (%v)", lost, len(acked), err)
		}
		if wrong := checkDecisions(t, st, ents); wrong != 0 {
			t.Fatalf("%d wrong decisions", wrong)
		}
	})

	t.Run("PostgreSQL restarted mid-load", func(t *testing.T) {
		stop := make(chan struct{})
		l := runLoad(t, p, pool[12:18], targets, stop, 4)
		waitCount(l, 40)
		p.pg.Kill()
		time.Sleep(500 * time.Millisecond)
		p.pg.Restart()
		n := l.n.Load()
		ok := len(l.acknowledged())
		// Recovery: registrations succeed again at both live replicas,
		// which were not restarted.
		eventually(t, "registrations accepted again after PostgreSQL came back", func() error {
			if l.n.Load() < n+40 || len(l.acknowledged()) < ok+10 {
				return fmt.Errorf("%d acknowledged", len(l.acknowledged()))
			}
			return nil
		})
		close(stop)
		msg := l.messages[codes.Unavailable]
		if l.failures[codes.Unavailable] == 0 || !strings.Contains(msg, "PostgreSQL") {
			t.Fatalf("while PostgreSQL was down: failures %v, UNAVAILABLE message %q; want UNAVAILABLE naming PostgreSQL", l.failures, msg)
		}
		if l.failures[codes.Internal] != 0 || l.failures[codes.Unknown] != 0 {
			t.Fatalf("failures %v: nothing should be Internal or Unknown (%q)", l.failures, l.messages[codes.Internal])
		}
	})

	t.Run("the sequencer's holder killed, another takes over", func(t *testing.T) {
		// After the restart above the sequencers reconnect within their
		// interval; on a loaded machine the lock may not be held yet.
		var holder *world
		eventually(t, "a replica holds the sequencer's lock", func() error {
			var err error
			holder, err = p.sequencerHolder(t, a, c)
			return err
		})
		if err := holder.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		holder.cmd.Wait()
		holder.cmd = nil
		other := a
		if holder == a {
			other = c
		}
		eventually(t, "another replica holds the sequencer's lock", func() error {
			_, err := p.sequencerHolder(t, other)
			return err
		})
		before := verifiedEvents(t, other)
		other.issueToken("supervisor", "510100") // an event of its own
		if after := verifiedEvents(t, other); after <= before {
			t.Fatalf("events %d after a registration at c, want more than %d: nobody sequences", after, before)
		}
	})
}

// verifiedEvents waits (bounded) for the log to sequence what is committed
// and verifies the chain; a log that nobody sequences fails by timeout.
func verifiedEvents(t *testing.T, w *world) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := ruqiv1.NewAdminServiceClient(w.conn(w.admin)).VerifyEventLog(ctx, &ruqiv1.VerifyEventLogRequest{})
	if err != nil {
		t.Fatalf("verify the log at a surviving replica: %v", err)
	}
	if !resp.GetIntact() {
		t.Fatalf("event log broken at %d", resp.GetFirstBrokenSeq())
	}
	return resp.GetEvents()
}

// sequencerHolder finds which of the replicas holds the sequencer's advisory
// lock: PostgreSQL names the holding session's client port, and the port
// belongs to a socket one of the replica processes has open. nil if none,
// with what was found instead.
func (p *province) sequencerHolder(t *testing.T, among ...*world) (*world, error) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), p.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	const key = 0x72757169736571 // internal/store/postgres's sequencerLock
	var (
		port int
		app  string
	)
	err = conn.QueryRow(context.Background(), `SELECT a.client_port, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2`, uint32(key>>32), uint32(key&0xffffffff)).Scan(&port, &app)
	if err != nil {
		return nil, fmt.Errorf("no session holds the lock (%v)", err)
	}
	// The socket is the one from the client port to PostgreSQL's: under a
	// full test run another process may have a socket of the same local
	// port to somewhere else.
	inode := socketInode(t, port, conn.PgConn().Conn().RemoteAddr().(*net.TCPAddr).Port)
	for _, w := range among {
		if w.cmd == nil {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", w.cmd.Process.Pid))
		for _, fd := range fds {
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", w.cmd.Process.Pid, fd.Name())); l == "socket:["+inode+"]" {
				return w, nil
			}
		}
	}
	return nil, fmt.Errorf("held by %q from client port %d (socket inode %s), which none of the replicas asked about has open", app, port, inode)
}

// socketInode finds the inode of the loopback TCP socket from the local
// port to the remote one ("" if there is none).
func socketInode(t *testing.T, local, remote int) string {
	t.Helper()
	hexPort := func(addr string) string {
		if i := strings.LastIndex(addr, ":"); i >= 0 {
			return addr[i+1:]
		}
		return ""
	}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 {
				continue
			}
			if strings.EqualFold(hexPort(fields[1]), fmt.Sprintf("%04X", local)) && strings.EqualFold(hexPort(fields[2]), fmt.Sprintf("%04X", remote)) {
				return fields[9]
			}
		}
	}
	return ""
}
