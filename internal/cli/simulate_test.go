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
	if err := writeSampleDirectory(path, cfg); err != nil {
		t.Fatal(err)
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
