package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found held by a trial of the operator's year (2026-12-06), with the two
// tests below that it found failing.
//
// An operator's year: the server killed with kill -9 while `ruqi admin
// compact`, `ruqi admin backup` or `ruqi admin import` runs, with
// registrations going on meanwhile. After each restart every registration
// acknowledged before the kill is in the file, the event log verifies.
func TestOperator_KilledDuringMaintenance_NothingAcknowledgedLost(t *testing.T) {
	needsBolt(t)
	w := newWorld(t)
	ents, err := readSampleEnterprises(40)
	if err != nil {
		t.Fatal(err)
	}
	p := &province{replicas: []*world{w}}
	path := filepath.Join(w.dataDir, "ruqi.db")
	// A file worth compacting: the directory imported several times over.
	for range 3 {
		w.mustCLI(w.admin, "admin", "import", sampleFile())
	}
	ops := []struct {
		name string
		args func() []string
	}{
		{"compact", func() []string { return []string{"admin", "compact"} }},
		{"backup", func() []string {
			return []string{"admin", "backup", filepath.Join(t.TempDir(), "b.db")}
		}},
		{"import", func() []string { return []string{"admin", "import", sampleFile()} }},
	}
	// The load's officers' tokens, issued before any kill: one issued
	// lazily by the load while the server is killed fails the test, not
	// the server.
	for _, agency := range w.f.agencies {
		w.officerToken(w.f.officersOf[agency][0])
	}
	delays := []time.Duration{0, 20 * time.Millisecond, 60 * time.Millisecond, 150 * time.Millisecond}
	for _, op := range ops {
		for _, d := range delays {
			stop := make(chan struct{})
			l := runLoad(t, p, ents, func() []*world { return []*world{w} }, stop, 8)
			waitCount(l, 40)
			cmd := exec.Command(filepath.Join(binDir, "ruqi"), op.args()...)
			cmd.Env = append(os.Environ(), "RUQI_SERVER="+w.grpcAddr, "RUQI_TOKEN="+w.admin)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(d)
			_ = w.cmd.Process.Signal(syscall.SIGKILL)
			_ = w.cmd.Wait()
			_ = cmd.Wait()
			close(stop)
			acked := l.acknowledged()
			w.cmd = nil
			w.start()
			w.mustCLI(w.admin, "admin", "events", "verify")
			w.stop()
			st, err := bolt.Open(path, bolt.DefaultOptions())
			if err != nil {
				t.Fatalf("%s after %v: reopen: %v", op.name, d, err)
			}
			lost := 0
			_ = st.View(context.Background(), func(r store.Reader) error {
				for id := range acked {
					if _, err := r.Inspection(id); err != nil {
						lost++
					}
				}
				return nil
			})
			st.Close()
			if lost > 0 {
				t.Fatalf("%s killed after %v: %d of %d acknowledged registrations lost", op.name, d, lost, len(acked))
			}
			if left, _ := filepath.Glob(filepath.Join(w.dataDir, "*.compact")); len(left) > 0 && op.name != "compact" {
				t.Errorf("left behind: %v", left)
			}
			w.start()
		}
	}
	if fis, _ := os.ReadDir(w.dataDir); true {
		var names []string
		for _, fi := range fis {
			names = append(names, fi.Name())
		}
		t.Logf("data dir after the kills: %s", strings.Join(names, " "))
	}
}

// buildAt builds ruqi-server as it was at commit, from this repository's
// history, or skips the test when the history is not at hand.
func buildAt(t *testing.T, commit string) string {
	t.Helper()
	root := repoRoot()
	src := t.TempDir()
	arch := exec.Command("sh", "-c", "git archive "+commit+" | tar -x -C "+src)
	arch.Dir = root
	if out, err := arch.CombinedOutput(); err != nil {
		t.Skipf("commit %s not in this clone's history: %v %s", commit, err, out)
	}
	bin := filepath.Join(t.TempDir(), "ruqi-server-"+commit)
	build := exec.Command("go", "build", "-o", bin, "./server")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", commit, err, out)
	}
	return bin
}

// The README: "From this version on the file names its layout (format),
// and a version older than the layout refuses a cleanly closed file
// without writing to it". A version of 2026-12-05 (3926f0e) that names
// and checks the layout, given a file in which this version enrolled a
// front-desk phone (its token stored with the parent flag of eaadf06,
// which that version's decoder does not know), must refuse the file as it
// refuses a newer layout, and leave it as it was. Found by a trial of the
// operator's year (2026-12-06), before the file format was raised to 2: it
// started, served, and could not read the phone's token: the phone is told 暂时无法核对访问令牌，
// 请稍后重试 (UNAVAILABLE, for good), and the administrator's token list
// for the enterprise fails as an internal error ("access token: 17 bytes
// left over" in its log).
func TestOperator_DowngradeAfterDeviceEnrolled_OlderVersionRefusesFile(t *testing.T) {
	needsBolt(t)
	old := buildAt(t, "3926f0e")
	w := newWorld(t)
	ctx := context.Background()
	enr, err := ruqiv1.NewSessionServiceClient(w.conn(w.entA)).CreateDeviceEnrolment(ctx, &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := ruqiv1.NewSessionServiceClient(w.conn("")).EnrolDevice(ctx, &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ruqiv1.NewSessionServiceClient(w.conn(dev.GetToken())).ListDevices(ctx, &ruqiv1.ListDevicesRequest{}); err != nil {
		t.Logf("the phone's own call on this version: %v", err)
	}
	w.stop()
	path := filepath.Join(w.dataDir, "ruqi.db")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	ready := filepath.Join(w.dataDir, "ready-old.json")
	cmd := exec.Command(old, "-data-dir", w.dataDir, "-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-ready-file", ready)
	var logb strings.Builder
	cmd.Stdout, cmd.Stderr = &logb, &logb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	started := false
	deadline := time.Now().Add(20 * time.Second)
wait:
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			break wait
		default:
		}
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			started = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if started {
		var r struct {
			GRPCAddr string `json:"grpc_addr"`
		}
		b, _ := os.ReadFile(ready)
		_ = json.Unmarshal(b, &r)
		oldSrv := &server{t: t, grpcAddr: r.GRPCAddr}
		_, derr := ruqiv1.NewSessionServiceClient(oldSrv.conn(dev.GetToken())).ListDevices(ctx, &ruqiv1.ListDevicesRequest{})
		_, lerr := ruqiv1.NewAdminServiceClient(oldSrv.conn(w.admin)).ListAccessTokens(ctx, &ruqiv1.ListAccessTokensRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: w.f.entA})
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		t.Errorf("the version of 3926f0e started on a file holding a token it cannot read, instead of refusing the file's layout;\n"+
			"the phone's call there: %v\nthe administrator's token list there: %v\nits log:\n%s", derr, lerr, logb.String())
		return
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("the older version refused the file but wrote into it")
	}
	if !strings.Contains(logb.String(), "newer version") {
		t.Errorf("the older version stopped without naming the layout:\n%s", logb.String())
	}
}

// `ruqi admin compact` where the disk has room for the compacted copy but
// not for a new 64 MiB segment of the write-ahead log beside the old one
// (here a file size limit of 256 KiB; on a tmpfs of 400 MiB with 40 MiB
// free the same): the copy is swapped in, then the new log cannot be
// allocated and the store is left unusable until a restart. Every write
// after it is refused (STORAGE_UNAVAILABLE, "请稍后重试"), even once the
// disk has room again, and the administrator was told only
// 服务器内部错误，已记录，请稍后重试或联系管理员. Either the compaction
// succeeds (the old log's segments hold nothing to replay once the copy
// is swapped in; the store could also commit the direct way until the log
// can start), or it fails saying the disk space is the matter (as a backup
// does: RESOURCE_EXHAUSTED, "数据目录所在磁盘空间不足…"); in both cases the
// store goes on writing once there is room.
func TestOperator_CompactWithoutRoomForTheLog_StoreKeepsWriting(t *testing.T) {
	needsBolt(t)
	w := newWorld(t)
	w.register("now", "now+4h")
	w.restart() // a fresh write-ahead log: its next records lie at small offsets
	w.limitFileSize(t, 256<<10)
	r := w.cli(w.admin, "admin", "compact")
	w.limitFileSize(t, unix.RLIM_INFINITY)
	if r.exit != 0 && (strings.Contains(r.stderr, "服务器内部错误") || !strings.Contains(r.stderr, "空间")) {
		t.Errorf("compaction without room answered:\n%s\nwant an answer that names the disk space, as a backup's does", r.stderr)
	}
	var last cliResult
	for range 20 { // the storage probe runs every second
		if last = w.cli(w.officer, w.registerArgs("now+5h", "now+8h")...); last.exit == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if last.exit != 0 {
		t.Errorf("registrations after the compaction, the limit lifted 10 s ago: %s\nserver log:\n%s", last.stderr, w.log)
	}
	w.mustCLI(w.admin, "admin", "events", "verify")
}
