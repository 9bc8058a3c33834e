package e2e

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/draw"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 双随机 draw from the outside: the agency commits to a population through
// the CLI, the randomness is the log's next checkpoint, `ruqi draw verify`
// re-runs the draw from what the server publishes (and from a saved file,
// offline) and gets the same picks; a 双随机 registration is held to the
// picks; and a population changed after the commitment, in the store or in
// the published file, fails verification with a clear message.
func TestDraw_CommitRevealVerify_TamperingDetected(t *testing.T) {
	w := newWorld(t, "-log-interval", "100ms")
	agencyAdmin := w.issueToken("agency-admin", w.f.agency)
	ents, err := readSampleEnterprises(12)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	entFile, offFile := filepath.Join(dir, "ents.txt"), filepath.Join(dir, "officers.txt")
	os.WriteFile(entFile, []byte("# 样例名单\n"+strings.Join(ents, "\n")+"\n"), 0o644)
	os.WriteFile(offFile, []byte(strings.Join(w.f.officersOf[w.f.agency], ",")), 0o644)

	// A population naming enterprises outside the directory is refused,
	// the first named and the count said.
	badFile := filepath.Join(dir, "bad.txt")
	os.WriteFile(badFile, []byte(strings.Join(append([]string{"91350100M000100Y43", "91350100M000200Y0E"}, ents...), "\n")), 0o644)
	if r := w.cli(agencyAdmin, "draw", "commit", "--title", "名单有误", "--enterprises-file", badFile, "--enterprises", "3"); r.exit == 0 ||
		!strings.Contains(r.stderr, "ENTERPRISE_UNKNOWN") || !strings.Contains(r.stderr, "等 2 家不在企业名录中") {
		t.Fatalf("a population with two unknown enterprises: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	// Officers are the agency's own, and exist.
	for _, c := range []struct{ officer, want string }{
		{w.f.officersOf["AG-02"][0], "不属于部门"},
		{"O-99999", "不存在"},
	} {
		bad := filepath.Join(dir, "bad-officers.txt")
		os.WriteFile(bad, []byte(strings.Join(append([]string{c.officer}, w.f.officersOf[w.f.agency]...), ",")), 0o644)
		r := w.cli(agencyAdmin, "draw", "commit", "--title", "人员有误", "--enterprises-file", entFile, "--enterprises", "3", "--officers-file", bad, "--officers", "2")
		if r.exit == 0 || !strings.Contains(r.stderr, c.want) {
			t.Fatalf("officer %s in the population: exit %d\n%s%s", c.officer, r.exit, r.stdout, r.stderr)
		}
	}

	// A draw of one officer could never be used: an inspection takes two,
	// each among the picks (an agency's trial, 2026-12-06).
	if r := w.cli(agencyAdmin, "draw", "commit", "--title", "一人", "--enterprises-file", entFile, "--enterprises", "3", "--officers-file", offFile, "--officers", "1"); r.exit == 0 || !strings.Contains(r.stderr, "DRAW_TOO_FEW_OFFICERS") {
		t.Fatalf("a draw of one officer: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	var d ruqiv1.Draw
	commit := []string{"draw", "commit", "--title", "2026年12月 双随机抽查（测试）",
		"--enterprises-file", entFile, "--enterprises", "3", "--officers-file", offFile, "--officers", "2", "--request-id", "draw-e2e-1"}
	mustUnmarshal(t, w.mustCLI(agencyAdmin, append([]string{"-o", "json"}, commit...)...), &d)
	if d.GetId() == "" || len(d.GetEnterprisePopulation()) != 12 || len(d.GetRandomness()) != 0 {
		t.Fatalf("committed draw: %v", &d)
	}
	// Retried with its request id, the same draw; -q prints its id alone.
	if out := w.mustCLI(agencyAdmin, append(commit, "-q")...); out != d.GetId()+"\n" {
		t.Fatalf("draw commit -q retried: %q, want the id %s alone", out, d.GetId())
	}
	w.mustCLI("", "keys", "fetch")
	// Before the reveal there is nothing to verify yet: said plainly.
	if r := w.cli("", "draw", "verify", d.GetId()); r.exit != 3 || !strings.Contains(r.stderr, "尚未揭晓") {
		t.Fatalf("verify before the reveal: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	var revealed ruqiv1.Draw
	mustUnmarshal(t, w.mustCLI(agencyAdmin, "-o", "json", "draw", "reveal", d.GetId(), "--wait", "30s"), &revealed)
	if len(revealed.GetPickedEnterprises()) != 3 || len(revealed.GetPickedOfficers()) != 2 || revealed.GetRandomnessSize() < revealed.GetCommitSeq() {
		t.Fatalf("revealed draw: %v", &revealed)
	}
	// The agency lists its draws: this one, revealed, and only it (a
	// second commit would show here).
	if out := w.mustCLI(agencyAdmin, "draw", "list"); !strings.Contains(out, d.GetId()) || !strings.Contains(out, "共 1 次") || strings.Contains(out, "未揭晓") {
		t.Errorf("draw list after the reveal:\n%s", out)
	}
	// The 司法局 revealing it again gets the same picks: nothing to choose.
	supervisor := w.issueToken("supervisor", "510000")
	var again ruqiv1.Draw
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "draw", "reveal", d.GetId()), &again)
	if !proto.Equal(&again, &revealed) {
		t.Fatalf("second reveal differs:\n%v\n%v", &again, &revealed)
	}

	// It verifies once a checkpoint holds the reveal's event too.
	eventually(t, "the draw verified", func() error {
		r := w.cli("", "draw", "verify", d.GetId())
		if r.exit != 0 || !strings.Contains(r.stdout, "核验通过") || !strings.Contains(r.stdout, strings.Join(revealed.GetPickedEnterprises(), "、")) {
			return fmt.Errorf("verify: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	})
	bundle := filepath.Join(dir, "draw.json")
	os.WriteFile(bundle, []byte(w.mustCLI("", "-o", "json", "draw", "show", d.GetId())), 0o644)
	if r := w.cli("", "draw", "verify", "--file", bundle, "--server", "127.0.0.1:1"); r.exit != 0 {
		t.Fatalf("offline verify of the saved draw: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	// A 双随机 inspection naming the draw must be among its picks.
	register := func(uscc string, officers []string) cliResult {
		start := time.Now().Add(24 * time.Hour).Format("2006-01-02 15:04")
		return w.cli(agencyAdmin, "-o", "json", "officer", "register", "--enterprise", uscc, "--items", strings.Join(w.f.items, ","),
			"--officers", strings.Join(officers, ","), "--from", start, "--duration", "2h", "--type", "random", "--reason", "双随机抽查", "--draw", d.GetId())
	}
	notPicked := ""
	for _, e := range ents {
		if !slices.Contains(revealed.GetPickedEnterprises(), e) {
			notPicked = e
			break
		}
	}
	if r := register(notPicked, revealed.GetPickedOfficers()); r.exit == 0 || !strings.Contains(r.stderr, "不在抽取") {
		t.Fatalf("registration of an enterprise not picked: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	var reg ruqiv1.RegisterInspectionResponse
	r := register(revealed.GetPickedEnterprises()[0], revealed.GetPickedOfficers())
	if r.exit != 0 {
		t.Fatalf("registration of a picked enterprise: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	mustUnmarshal(t, r.stdout, &reg)
	if reg.GetInspection().GetDrawId() != d.GetId() {
		t.Fatalf("inspection does not name its draw: %v", reg.GetInspection())
	}

	// The published file with an enterprise that was not picked taken out
	// of the population (the picks left as they were): caught offline.
	b, _ := os.ReadFile(bundle)
	var edited ruqiv1.GetDrawResponse
	mustUnmarshal(t, string(b), &edited)
	pop := edited.GetDraw().GetEnterprisePopulation()
	edited.Draw.EnterprisePopulation = slices.Delete(pop, slices.Index(pop, notPicked), slices.Index(pop, notPicked)+1)
	forged := filepath.Join(dir, "forged.json")
	fb, _ := protojson.Marshal(&edited)
	os.WriteFile(forged, fb, 0o644)
	if r := w.cli("", "draw", "verify", "--file", forged); r.exit != 3 || !strings.Contains(r.stderr, "承诺之后抽取对象被改动过") {
		t.Fatalf("forged file: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	// The operator edits the stored population after the commitment (the
	// picks and everything else left as they were): the server serves it,
	// and verification fails against the commitment in the log.
	if os.Getenv("RUQI_E2E_STORE") == "postgres" {
		return // the rest edits the bbolt file
	}
	editStoredDraw(t, w, d.GetId(), func(_ *bbolt.Tx, stored *ruqiv1.Draw) error {
		i := slices.Index(stored.EnterprisePopulation, notPicked)
		stored.EnterprisePopulation = slices.Delete(stored.EnterprisePopulation, i, i+1)
		return nil
	})
	r = w.cli("", "draw", "verify", d.GetId())
	if r.exit != 3 || !strings.Contains(r.stderr, "承诺之后抽取对象被改动过") {
		t.Fatalf("population changed in the store: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// The public JSON page serves the same draw.
	resp := httpGet(t, "http://"+w.httpAddr+"/draws/"+d.GetId()+".json")
	var pub ruqiv1.GetDrawResponse
	if err := protojson.Unmarshal(resp, &pub); err != nil || pub.GetDraw().GetId() != d.GetId() {
		t.Fatalf("public draw page: %v\n%s", err, resp)
	}
	if slices.Contains(pub.GetDraw().GetEnterprisePopulation(), notPicked) {
		t.Fatalf("the page still shows %s: the edit did not take", notPicked)
	}
}

// editStoredDraw stops the server, changes draw id in its bbolt file as an
// operator with the file could, and starts it again.
func editStoredDraw(t *testing.T, w *world, id string, edit func(*bbolt.Tx, *ruqiv1.Draw) error) {
	t.Helper()
	w.stop()
	db, err := bbolt.Open(filepath.Join(w.dataDir, "ruqi.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		bk := tx.Bucket([]byte("random_draws"))
		var stored ruqiv1.Draw
		if err := proto.Unmarshal(bk.Get([]byte(id)), &stored); err != nil {
			return err
		}
		if err := edit(tx, &stored); err != nil {
			return err
		}
		v, err := proto.Marshal(&stored)
		if err != nil {
			return err
		}
		return bk.Put([]byte(id), v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	w.start()
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, b)
	}
	return b
}

// A draw may name its enterprises by region and industry: the server lists
// the directory's enterprises there when it commits, fixes that list in the
// commitment, and the draw verifies like any other. A region or industry
// with none, a malformed region and a population named twice are refused.
func TestDraw_ByRegionAndIndustry(t *testing.T) {
	w := newWorld(t, "-log-interval", "100ms")
	agencyAdmin := w.issueToken("agency-admin", w.f.agency)
	var want []string
	leftOut := 0
	for _, e := range sampleDirectory(t).GetEnterprises() {
		if !strings.HasPrefix(e.GetRegionCode(), "510112") || e.GetIndustry() != "餐饮" {
			continue
		}
		// Grade A enterprises are left out: the default policy allows no
		// proactive inspection of them (无事不扰).
		if e.GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_A {
			leftOut++
		} else {
			want = append(want, e.GetUscc())
		}
	}
	slices.Sort(want)
	if len(want) < 3 {
		t.Fatalf("the sample directory has %d 餐饮 enterprises in 510112, want some", len(want))
	}

	var d ruqiv1.Draw
	r := w.cli(agencyAdmin, "-o", "json", "draw", "commit", "--title", "龙泉驿区餐饮双随机抽查（测试）",
		"--region", "510112", "--industry", "餐饮", "--enterprises", "3")
	if r.exit != 0 {
		t.Fatalf("draw commit: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	mustUnmarshal(t, r.stdout, &d)
	// With -o json stdout is the draw alone; how many were left out goes to
	// stderr, where the table's reader would have seen it.
	if leftOut == 0 || !strings.Contains(r.stderr, fmt.Sprintf("另有 %d 家企业本年度不得主动检查", leftOut)) {
		t.Errorf("the sample holds %d grade A 餐饮 enterprises in 510112 (want some), and draw commit -o json says on stderr:\n%s", leftOut, r.stderr)
	}
	if !slices.Equal(d.GetEnterprisePopulation(), want) || d.GetEnterpriseFilter().GetRegionCode() != "510112" || d.GetEnterpriseFilter().GetIndustry() != "餐饮" {
		t.Fatalf("population %v (filter %v), want the directory's %d: %v", d.GetEnterprisePopulation(), d.GetEnterpriseFilter(), len(want), want)
	}
	mustUnmarshal(t, w.mustCLI(agencyAdmin, "-o", "json", "draw", "reveal", d.GetId(), "--wait", "30s"), &d)
	for _, u := range d.GetPickedEnterprises() {
		if !slices.Contains(want, u) {
			t.Fatalf("picked %s, not in the population", u)
		}
	}
	w.mustCLI("", "keys", "fetch")
	eventually(t, "the draw verified", func() error {
		if r := w.cli("", "draw", "verify", d.GetId()); r.exit != 0 || !strings.Contains(r.stdout, "核验通过") {
			return fmt.Errorf("verify: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	})
	if out := w.mustCLI("", "draw", "show", d.GetId()); !strings.Contains(out, "承诺时按企业名录列出的行政区划 510112、行业 餐饮的企业") {
		t.Fatalf("show:\n%s", out)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--region", "510199"}, "DRAW_POPULATION_EMPTY"},
		{[]string{"--region", "510112", "--industry", "没有这个行业"}, "没有行政区划 510112、行业 没有这个行业的企业"},
		{[]string{"--region", "5101"}, "行政区划代码应为6位数字"},
	} {
		r := w.cli(agencyAdmin, append([]string{"draw", "commit", "--title", "范围有误", "--enterprises", "1"}, c.args...)...)
		if r.exit == 0 || !strings.Contains(r.stderr, c.want) {
			t.Fatalf("draw commit %v: exit %d, want %q\n%s%s", c.args, r.exit, c.want, r.stdout, r.stderr)
		}
	}
	// Both a list and a filter, through the API (the CLI takes one).
	_, err := ruqiv1.NewDrawServiceClient(w.conn(agencyAdmin)).CommitDraw(context.Background(), &ruqiv1.CommitDrawRequest{Title: "两个名单",
		EnterprisePopulation: want, EnterpriseFilter: &ruqiv1.EnterpriseFilter{RegionCode: "510112"}, EnterpriseCount: 1})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "只能给一个") {
		t.Fatalf("a list and a filter: %v, want InvalidArgument", err)
	}
}

// TestDraw_RandomnessSwappedAfterReveal_Detected: the operator, with the
// store in hand, replaces a revealed draw's randomness with a later
// checkpoint's (one that includes the commitment too) and recomputes the
// picks. Every earlier check passes: the commitment is under that
// checkpoint and the picks follow from its root. The DRAW_REVEALED event,
// in the log since the reveal, names the first checkpoint's size, and
// verification now compares the two (docs/SECURITY.md listed it as not
// checked).
func TestDraw_RandomnessSwappedAfterReveal_Detected(t *testing.T) {
	needsBolt(t)
	w := newWorld(t, "-log-interval", "100ms")
	agencyAdmin := w.issueToken("agency-admin", w.f.agency)
	ents, err := readSampleEnterprises(12)
	if err != nil {
		t.Fatal(err)
	}
	entFile := filepath.Join(t.TempDir(), "ents.txt")
	os.WriteFile(entFile, []byte(strings.Join(ents, "\n")+"\n"), 0o644)
	var d ruqiv1.Draw
	mustUnmarshal(t, w.mustCLI(agencyAdmin, "-o", "json", "draw", "commit", "--title", "随机数替换（测试）",
		"--enterprises-file", entFile, "--enterprises", "3"), &d)
	mustUnmarshal(t, w.mustCLI(agencyAdmin, "-o", "json", "draw", "reveal", d.GetId(), "--wait", "30s"), &d)
	w.mustCLI("", "keys", "fetch")
	eventually(t, "the reveal event in a checkpoint, checked", func() error {
		if r := w.cli("", "draw", "verify", d.GetId()); r.exit != 0 || !strings.Contains(r.stdout, "揭晓：日志事件") {
			return fmt.Errorf("verify: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	})
	// A saved copy without the reveal's receipt does not verify: it could
	// carry any checkpoint's randomness.
	var bundle ruqiv1.GetDrawResponse
	mustUnmarshal(t, w.mustCLI("", "-o", "json", "draw", "show", d.GetId()), &bundle)
	bundle.RevealReceipt = nil
	stripped := filepath.Join(t.TempDir(), "draw.json")
	b, _ := protojson.Marshal(&bundle)
	os.WriteFile(stripped, b, 0o644)
	if r := w.cli("", "draw", "verify", "--file", stripped); r.exit != 3 || !strings.Contains(r.stderr, "缺少揭晓事件的收据") {
		t.Errorf("a copy without the reveal's receipt: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// Another step, and the checkpoint that holds it: it includes the
	// commitment too.
	w.register("now", "now+2h")
	log := ruqiv1.NewLogServiceClient(w.conn(""))
	var later uint64
	eventually(t, "a checkpoint after the reveal", func() error {
		cp, err := log.GetCheckpoint(context.Background(), &ruqiv1.GetCheckpointRequest{})
		if err != nil {
			return err
		}
		if later, err = strconv.ParseUint(strings.Split(cp.GetCheckpoint(), "\n")[1], 10, 64); err != nil || later <= d.GetRandomnessSize()+1 {
			return fmt.Errorf("latest checkpoint %d (%v), want one past the reveal at %d", later, err, d.GetRandomnessSize())
		}
		return nil
	})
	editStoredDraw(t, w, d.GetId(), func(tx *bbolt.Tx, stored *ruqiv1.Draw) error {
		note := tx.Bucket([]byte("checkpoints")).Get(binary.BigEndian.AppendUint64(nil, later))
		if note == nil {
			return fmt.Errorf("no checkpoint of size %d", later)
		}
		root, err := base64.StdEncoding.DecodeString(strings.Split(string(note), "\n")[2])
		if err != nil {
			return err
		}
		picks := draw.Pick(stored, root)
		stored.RandomnessSize, stored.Randomness = later, root
		stored.PickedEnterprises, stored.PickedOfficers = picks.Enterprises, picks.Officers
		return nil
	})
	r := w.cli("", "draw", "verify", d.GetId())
	if r.exit != 3 || !strings.Contains(r.stderr, "随机数在揭晓后被换过") {
		t.Fatalf("randomness swapped after the reveal: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// The operator also clears the head the draw kept at the reveal, so
	// that the server finds no reveal event to prove: no receipt, no
	// verification (a read-only review found it passed, 2026-12-04).
	editStoredDraw(t, w, d.GetId(), func(_ *bbolt.Tx, stored *ruqiv1.Draw) error {
		stored.LogHeadAtReveal = 0
		return nil
	})
	if r := w.cli("", "draw", "verify", d.GetId()); r.exit != 3 || !strings.Contains(r.stderr, "缺少揭晓事件的收据") {
		t.Fatalf("swapped, and the reveal's head cleared: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
}
