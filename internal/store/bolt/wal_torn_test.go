package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// importSome writes n enterprises in one group, as a directory import does.
func importSome(t *testing.T, s *Store, n int) {
	t.Helper()
	err := s.Update(context.Background(), func(tx store.Tx) error {
		for i := range n {
			if err := tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: fmt.Sprintf("91510100MA%08d", i), Name: fmt.Sprintf("成都市某某%d商贸有限公司（样例）", i),
				RegionCode: "510104", CreditGrade: ruqiv1.CreditGrade(1 + i%4)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A review of 5d0ddc9 (damagedAfter). A crash tears only the record being
// written, and only inside the bytes that record claims (its header's
// length): what follows it in the segment is the preallocated zeros. Here
// the last group (not acknowledged: the crash came before its sync) was
// written up to its middle, the rest of its bytes never reached the disk,
// as any power cut during a large write leaves it. damagedAfter looks for
// a record from the byte after the torn record's start, inside the torn
// record's own payload, and takes a record-shaped run of bytes there (here
// a stored value that holds one) for an acknowledged group written after
// it: the server refuses to start after an ordinary crash. The same scan
// is what makes a torn large group slow to open (TestWAL_TornLargeGroup_Timing):
// for each position in the torn payload whose 4 bytes read as a length
// that fits the segment, a CRC over up to 64 MiB.
func TestWAL_TornGroup_BytesInsideItAreNoRecordAfterIt(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, 0, 5)
	// A value that holds the bytes of a whole record.
	var inner []byte
	for i := 0; ; i++ { // a string field: its CRC's bytes too must be UTF-8
		body := append([]byte{recGroup}, binary.LittleEndian.AppendUint64(nil, 1<<40)...)
		body = fmt.Appendf(body, "note %d", i)
		inner = binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
		inner = binary.LittleEndian.AppendUint32(inner, crc32.Checksum(body, castagnoli))
		inner = append(inner, body...)
		if utf8.Valid(inner) {
			break
		}
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: "91510100MA00000001", Name: "企业" + string(inner) + strings.Repeat("。", 2000), RegionCode: "510104"})
	})
	if err != nil {
		t.Fatal(err)
	}
	crash := filepath.Join(t.TempDir(), "ruqi.db")
	copyDir(t, walDir(path), walDir(crash))
	var last uint64
	s.onWriterDo(func() { last = s.wal.segs[len(s.wal.segs)-1].n })
	s.Close()
	if err := os.WriteFile(crash, img, 0o600); err != nil {
		t.Fatal(err)
	}
	seg := segmentPath(walDir(crash), last)
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	// The last group of the segment: the crash's image has its first half only.
	off, lastOff, lastN := 0, -1, 0
	for {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n == 0 {
			break
		}
		if data[off+recHeader] == recGroup {
			lastOff, lastN = off, n
		}
		off += recHeader + n
	}
	if lastOff < 0 || !bytes.Contains(data[lastOff:lastOff+recHeader+lastN/2], inner) {
		t.Fatal("the test's value is not in the first half of the last group")
	}
	clear(data[lastOff+recHeader+lastN/2 : lastOff+recHeader+lastN])
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(crash, DefaultOptions())
	if err != nil {
		t.Fatalf("a log whose last, unacknowledged group a crash tore is refused as damaged at rest: %v", err)
	}
	r.Close()
}

// A measurement, not an assertion (set RUQI_MEASURE_OPEN=1): Open of a
// crash image whose last group, an import of 20,000 enterprises (2.3 MB),
// was torn in its middle.
func TestWAL_TornImportGroup_OpenTime_Measure(t *testing.T) {
	if os.Getenv("RUQI_MEASURE_OPEN") == "" {
		t.Skip("a measurement: RUQI_MEASURE_OPEN=1")
	}
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, 0, 3)
	importSome(t, s, 20000)
	crash := filepath.Join(t.TempDir(), "ruqi.db")
	copyDir(t, walDir(path), walDir(crash))
	var last uint64
	s.onWriterDo(func() { last = s.wal.segs[len(s.wal.segs)-1].n })
	s.Close()
	os.WriteFile(crash, img, 0o600)
	seg := segmentPath(walDir(crash), last)
	data, _ := os.ReadFile(seg)
	// Find the last record and tear it: its second half never reached the disk.
	off, lastOff, lastN := 0, 0, 0
	for {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n == 0 {
			break
		}
		lastOff, lastN = off, n
		off += recHeader + n
	}
	t.Logf("torn record at %d, %d bytes", lastOff, lastN)
	clear(data[lastOff+recHeader+lastN/2 : lastOff+recHeader+lastN])
	os.WriteFile(seg, data, 0o600)
	start := time.Now()
	r, err := Open(crash, DefaultOptions())
	t.Logf("Open took %v, err %v", time.Since(start), err)
	if err == nil {
		r.Close()
	}
}

func TestWAL_ReadEmptyTail_Measure(t *testing.T) {
	if os.Getenv("RUQI_MEASURE_OPEN") == "" {
		t.Skip("a measurement: RUQI_MEASURE_OPEN=1")
	}
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 3)
	s.Close()
	ns, _ := segmentsIn(walDir(path))
	for _, n := range ns {
		start := time.Now()
		recs, err := readSegment(segmentPath(walDir(path), n))
		t.Logf("segment %d: %d records, %v, err %v", n, len(recs), time.Since(start), err)
	}
}
