package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/ruqi/ruqi/internal/sample"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// testServer builds ruqi-server and starts it on a fresh data directory, as
// internal/e2e does: -ready-file gives the addresses, admin.token the
// administrator's token.
type testServer struct {
	grpcAddr string
	admin    string
	log      *bytes.Buffer
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and starts the real server")
	}
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "ruqi-server")
	build := exec.Command("go", "build", "-o", bin, "./server")
	build.Dir = strings.TrimSpace(string(root))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build server: %v\n%s", err, out)
	}
	data := t.TempDir()
	ready := filepath.Join(data, "ready.json")
	cmd := exec.Command(bin, "-data-dir", data, "-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-ready-file", ready, "-log-level", "warn")
	s := &testServer{log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil {
			var r struct {
				GRPCAddr string `json:"grpc_addr"`
			}
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			s.grpcAddr = r.GRPCAddr
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become ready:\n%s", s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	s.admin = strings.TrimSpace(string(tok))
	return s
}

var beijing = time.FixedZone("CST", 8*3600)

func (s *testServer) conn(t *testing.T) *grpc.ClientConn {
	cc, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// TestSimulateAgainstServer runs a tiny simulation against the real server
// and checks that the summary's counts hold together, and that the server
// answered what the plan set expects of a fresh server with the default
// policy.
func TestSimulateAgainstServer(t *testing.T) {
	s := startServer(t)
	cc := s.conn(t)
	cfg := DefaultConfig()
	cfg.Enterprises, cfg.Officers, cfg.Inspections, cfg.Concurrency = 50, 20, 60, 4
	// Larger shares than the defaults, so that 60 plans have some of each.
	cfg.Shares = Shares{Overlap: 0.25, Duplicate: 0.08, Cap: 0.12, Tampered: 0.1, WrongEnterprise: 0.1, Evaluate: 0.8}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	sum, err := Run(ctx, cc, s.admin, cfg)
	// Caps count per calendar year in Beijing time; a run across the new
	// year would see fewer of them than the plan set expects.
	oneYear := began.In(beijing).Year() == time.Now().In(beijing).Year()
	if err != nil {
		t.Fatalf("run: %v\nserver log:\n%s", err, s.log)
	}
	var table bytes.Buffer
	if err := sum.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())

	set, err := Generate(sample.Directory(sample.Options{Seed: cfg.Seed, Agencies: cfg.Agencies, Officers: cfg.Officers, Enterprises: cfg.Enterprises, RegionCode: cfg.Region}),
		PlanOptions{Seed: uint64(cfg.Seed), Inspections: cfg.Inspections, Shares: cfg.Shares, ValidAt: time.Now().Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var tampered, wrong, evaluate int
	exp := map[Outcome]int{}
	for _, p := range set.Plans {
		exp[p.Expect]++
		if p.Expect == OutcomeAlone || p.Expect == OutcomeJoined {
			switch p.Scan {
			case ScanTampered:
				tampered++
			case ScanWrongEnterprise:
				wrong++
			}
		}
	}

	if len(sum.Errors) != 0 {
		t.Errorf("errors: %+v", sum.ErrorDetail)
	}
	if sum.Attempted != cfg.Inspections {
		t.Errorf("attempted %d, want %d", sum.Attempted, cfg.Inspections)
	}
	if sum.Attempted != sum.Registered+sum.DuplicatesRefused+sum.CapsRefused {
		t.Errorf("attempted %d != registered %d + duplicates %d + capped %d", sum.Attempted, sum.Registered, sum.DuplicatesRefused, sum.CapsRefused)
	}
	if sum.Registered != sum.Alone+sum.Joined {
		t.Errorf("registered %d != alone %d + joined %d", sum.Registered, sum.Alone, sum.Joined)
	}
	if sum.RegisteredWithCodes != sum.Registered {
		t.Errorf("%d of %d registered inspections got a code for each officer", sum.RegisteredWithCodes, sum.Registered)
	}
	if sum.CodesIssued < 2*sum.Registered {
		t.Errorf("%d codes for %d inspections of at least two officers", sum.CodesIssued, sum.Registered)
	}
	if sum.ScansValid+sum.ScansInvalid != sum.Scans {
		t.Errorf("valid %d + invalid %d != scans %d", sum.ScansValid, sum.ScansInvalid, sum.Scans)
	}
	// What the plan set expects of a fresh server with the default policy.
	if oneYear {
		if sum.Joined != exp[OutcomeJoined] || sum.Alone != exp[OutcomeAlone] || sum.DuplicatesRefused != exp[OutcomeDuplicate] || sum.CapsRefused != exp[OutcomeCapped] {
			t.Errorf("alone %d joined %d duplicates %d capped %d, expected %d %d %d %d", sum.Alone, sum.Joined, sum.DuplicatesRefused, sum.CapsRefused,
				exp[OutcomeAlone], exp[OutcomeJoined], exp[OutcomeDuplicate], exp[OutcomeCapped])
		}
	} else {
		t.Log("the run crossed the new year in Beijing: outcomes not compared with the plan set's")
	}
	if sum.DuplicatesRefused == 0 || sum.CapsRefused == 0 || sum.Joined == 0 || sum.JointInspections == 0 {
		t.Errorf("the shares should give some duplicates (%d), caps (%d) and joins (%d, in %d joint inspections)", sum.DuplicatesRefused, sum.CapsRefused, sum.Joined, sum.JointInspections)
	}
	if sum.VisitsAvoided != sum.Joined || sum.JointInspections > sum.Joined {
		t.Errorf("visits avoided %d, joined %d, joint inspections %d", sum.VisitsAvoided, sum.Joined, sum.JointInspections)
	}
	// Tampered codes fail their signature, codes at the wrong enterprise
	// say so, and every failed scan is refused.
	if sum.Verdicts["BAD_SIGNATURE"] != sum.TamperedShown || sum.Verdicts["WRONG_ENTERPRISE"] != sum.WrongEnterpriseShown {
		t.Errorf("verdicts %v for %d tampered codes and %d shown at the wrong enterprise", sum.Verdicts, sum.TamperedShown, sum.WrongEnterpriseShown)
	}
	if oneYear && (sum.TamperedShown != tampered || sum.WrongEnterpriseShown != wrong) {
		t.Errorf("tampered %d, wrong enterprise %d, expected %d %d", sum.TamperedShown, sum.WrongEnterpriseShown, tampered, wrong)
	}
	if sum.TamperedShown == 0 || sum.WrongEnterpriseShown == 0 {
		t.Errorf("the shares should give some tampered codes (%d) and some shown at the wrong enterprise (%d)", sum.TamperedShown, sum.WrongEnterpriseShown)
	}
	if sum.ScansInvalid != sum.TamperedShown+sum.WrongEnterpriseShown || sum.Refusals != sum.ScansInvalid {
		t.Errorf("invalid scans %d, refusals %d, want %d each", sum.ScansInvalid, sum.Refusals, sum.TamperedShown+sum.WrongEnterpriseShown)
	}
	// Every registered inspection not refused gets its result (or the
	// server does not offer results yet), and evaluations follow.
	if got, want := sum.ResultsRecorded+sum.ResultsNotAvailable, sum.Registered-sum.TamperedShown; got != want {
		t.Errorf("results recorded %d + not available %d, want %d", sum.ResultsRecorded, sum.ResultsNotAvailable, want)
	}
	for _, p := range set.Plans {
		if (p.Expect == OutcomeAlone || p.Expect == OutcomeJoined) && p.Scan != ScanTampered && p.Evaluate {
			evaluate++
		}
	}
	if oneYear && sum.ResultsNotAvailable == 0 {
		if got := sum.Evaluations + sum.EvaluationsNotAvailable; got != evaluate {
			t.Errorf("evaluations %d + not available %d, want %d", sum.Evaluations, sum.EvaluationsNotAvailable, evaluate)
		}
	}

	// The event log the simulation wrote is intact.
	ctx = metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.admin)
	v, err := ruqiv1.NewAdminServiceClient(cc).VerifyEventLog(ctx, &ruqiv1.VerifyEventLogRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.GetIntact() {
		t.Errorf("event log broken at %d", v.GetFirstBrokenSeq())
	}

	var js bytes.Buffer
	if err := sum.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Registered != sum.Registered {
		t.Errorf("JSON summary does not read back: %v", err)
	}

	// The load tool against the same server: its directory is already
	// there (50 enterprises), scans of prepared codes are all valid, and
	// 个案 registrations are never refused.
	for _, op := range []string{OpScan, OpRegister} {
		lc := DefaultLoadConfig()
		lc.Op, lc.Clients, lc.N, lc.Duration, lc.Codes = op, 4, 120, 0, 20
		lc.Enterprises, lc.Officers = cfg.Enterprises, cfg.Officers
		var acked bytes.Buffer
		if op == OpRegister {
			lc.Acked = &acked
		}
		rep, err := Load(context.Background(), cc, s.admin, lc)
		if err != nil {
			t.Fatalf("load %s: %v", op, err)
		}
		if op == OpRegister {
			// Every acknowledged registration is named, and found; an id
			// the server never acknowledged is said missing.
			acked.WriteString("INS-NEVER-ACKNOWLEDGED\n")
			got, err := CheckAcked(context.Background(), cc, s.admin, &acked, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got.Acked != 121 || got.Found != 120 || fmt.Sprint(got.Missing) != "[INS-NEVER-ACKNOWLEDGED]" {
				t.Errorf("acknowledged registrations checked: %+v, want 121 named, 120 found, the made-up one missing", got)
			}
		}
		var out bytes.Buffer
		if err := rep.WriteTable(&out); err != nil {
			t.Fatal(err)
		}
		t.Logf("\n%s", out.String())
		if rep.Requests != 120 || rep.OK != 120 || len(rep.Errors) != 0 {
			t.Errorf("load %s: %d requests, %d ok, errors %v", op, rep.Requests, rep.OK, rep.Errors)
		}
		if op == OpScan && rep.Outcomes["VALID"] != 120 {
			t.Errorf("load scan: outcomes %v", rep.Outcomes)
		}
		if rep.P50Ms <= 0 || rep.P50Ms > rep.P99Ms || rep.P99Ms > rep.P999Ms || rep.P999Ms > rep.MaxMs {
			t.Errorf("load %s: percentiles out of order: %+v", op, rep)
		}
	}
}
