package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ruqi/ruqi/internal/sample"
	"github.com/ruqi/ruqi/internal/sim"
)

// --write-directory generates the enterprises a range at a time; the file
// is byte for byte the whole directory's NDJSON.
func TestWriteSampleDirectory_RangesMakeTheWholeDirectory(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Enterprises, cfg.Officers, cfg.Agencies = 25000, 300, 20 // three ranges of enterprises
	path := filepath.Join(t.TempDir(), "d.ndjson")
	written, enterprises, err := writeSampleDirectory(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(written.GetAgencies()) != 20 || len(written.GetOfficers()) != 300 || enterprises != 25000 {
		t.Errorf("said to have written %d agencies, %d officers, %d enterprises", len(written.GetAgencies()), len(written.GetOfficers()), enterprises)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	d := sample.Directory(sample.Options{Seed: cfg.Seed, Agencies: cfg.Agencies, Officers: cfg.Officers, Enterprises: cfg.Enterprises, RegionCode: cfg.Region})
	if err := sample.WriteNDJSON(&want, d); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("written %d bytes, the whole directory's NDJSON is %d", len(got), want.Len())
	}
	if n := bytes.Count(got, []byte("\n")); n != 25000+300+20+len(d.GetCheckItems()) {
		t.Errorf("%d lines, want one per record", n)
	}
}

// --write-directory says what it wrote and how to import it: it printed
// nothing (a newcomer's trial, 2026-12-06).
func TestSimulateWriteDirectory_SaysWhatItWrote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.ndjson")
	var out, errOut bytes.Buffer
	a, _, _ := testApp(nil)
	a.stdout, a.stderr = &out, &errOut
	if code := a.run([]string{"simulate", "--enterprises", "100", "--officers", "300", "--agencies", "20", "--write-directory", path}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	assertContains(t, errOut.String(), "已写出样例名录 "+path, "20 个部门、300 名执法人员、100 家企业", "ruqi admin import "+path)
}
