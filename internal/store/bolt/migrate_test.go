package bolt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// oldFile is a file as ruqi wrote it before the lean formats: events,
// codes and check-ins as binary protobuf and JSON, written with bbolt
// directly in the old layout.
type oldFile struct {
	events   []*ruqiv1.Event
	byEnt    map[string][]uint64               // the enterprise index, one key per event
	codes    map[string]*ruqiv1.InspectionCode // by bucket key
	checkIns []*store.CheckIn
	plans    []*ruqiv1.Inspection
	tokens   []*store.AccessToken
	counts   map[string]int64
}

func writeOldFile(t *testing.T, path string) oldFile {
	t.Helper()
	var f oldFile
	f.codes = map[string]*ruqiv1.InspectionCode{}
	f.byEnt = map[string][]uint64{"91510104CY4C7RGWM": {4, 9, 200}} // a prefix of the next
	for seq := uint64(1); seq <= 150; seq++ {
		if seq%7 != 0 {
			f.byEnt["91510104CY4C7RGWMR"] = append(f.byEnt["91510104CY4C7RGWMR"], seq)
		}
	}
	shanghai := time.FixedZone("", 8*3600)
	at := time.Date(2026, 3, 2, 9, 30, 15, 123456789, shanghai)
	var prev []byte
	for i := 1; i <= 2*bolt.BlockEvents+8; i++ {
		e := &ruqiv1.Event{Seq: uint64(i), Time: timestamppb.New(at.Add(time.Duration(i) * time.Minute)),
			Type: ruqiv1.EventType(1 + i%5), Actor: "officer:O-0001", InspectionId: fmt.Sprintf("INS-20260302-AAAAAA%02d", i),
			EnterpriseUscc: "91510104CY4C7RGWMR", Detail: "INSPECTION_TYPE_ROUTINE"}
		switch {
		case i <= 3: // events from before the salt: "ruqi.event.v1"
		case i == 7:
			e.Time, e.OfficerId, e.Detail = nil, "O-0002", "" // fields left empty
			store.Salt(e)
		default:
			store.Salt(e)
		}
		e.PrevHash = prev
		e.Hash = store.EventHash(prev, e)
		prev = e.Hash
		f.events = append(f.events, e)
	}
	key, err := code.NewKey(at)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range []string{"O-0001", "O-0002", "O-0003"} {
		ins := fmt.Sprintf("INS-20260302-BBBBBB%02d", i)
		msg, err := code.Sign(key, code.Claims{TokenID: bytes.Repeat([]byte{byte(i + 1)}, 16), Issuer: "ruqi", IssuedAt: at,
			NotBefore: at, Expiry: at.Add(4 * time.Hour), InspectionID: ins, OfficerID: o, CertificateNumber: "51010000" + o[2:], EnterpriseUSCC: "91510104CY4C7RGWMR"})
		if err != nil {
			t.Fatal(err)
		}
		tok := code.EncodeToken(msg)
		f.codes[ins+"\x00"+o] = &ruqiv1.InspectionCode{InspectionId: ins, OfficerId: o, KeyId: key.ID, Token: tok,
			Url: "HTTP://127.0.0.1:7480/V/" + tok, NotBefore: timestamppb.New(at.Truncate(time.Second)), ExpiresAt: timestamppb.New(at.Add(4 * time.Hour).Truncate(time.Second))}
	}
	// A code that is not one of ours (as in tests): it stays as it was.
	f.codes["INS-X\x00O-X"] = &ruqiv1.InspectionCode{InspectionId: "INS-X", OfficerId: "O-X", KeyId: "k", Token: "T1", Url: "u"}
	ts := timestamppb.New(at)
	f.plans = []*ruqiv1.Inspection{
		{Id: "INS-20260302-BBBBBB00", AgencyId: "AG-19", EnterpriseUscc: "91510104CY4C7RGWMR", CheckItemIds: []string{"CI-0099"}, OfficerIds: []string{"O-0001", "O-0002"},
			WindowStart: ts, WindowEnd: ts, Reason: "年度日常监督检查", RegisteredAt: ts, RegisteredBy: "officer:O-0001", CompletedAt: ts,
			Result: &ruqiv1.InspectionResult{InspectionId: "INS-20260302-BBBBBB00", AgencyId: "AG-19", EnterpriseUscc: "91510104CY4C7RGWMR", RecordedAt: ts, RecordedBy: "officer:O-0001"}},
		{Id: "INS-20260302-BBBBBB01", AgencyId: "AG-20", EnterpriseUscc: "91510104CY4C7RGWMR", RegisteredBy: "admin"},
	}
	f.tokens = []*store.AccessToken{
		{ID: "tok-0004d6bbcf10", Hash: bytes.Repeat([]byte{3}, 32), Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "91510104CY4C7RGWMR",
			Description: "ruqi simulate（模拟）", CreatedAt: at, ExpiresAt: at.AddDate(0, 3, 0), Kind: store.TokenDevice, Label: "前台"},
		{ID: "admin", Hash: bytes.Repeat([]byte{4}, 32), Role: ruqiv1.Role_ROLE_ADMIN, CreatedAt: at.UTC(), RevokedAt: at.Add(time.Hour)},
	}
	f.counts = map[string]int64{"E|ins|202603|510104|91510104CY4C7RGWMR": 3, "A|x": 0, "A|y": -2, "A|z": 1 << 50, "A|w": 300}
	f.checkIns = []*store.CheckIn{
		{TokenID: []byte("0123456789abcdef"), InspectionID: "INS-20260302-BBBBBB00", OfficerID: "O-0001", USCC: "91510104CY4C7RGWMR", At: at, Scans: 3, By: "enterprise:91510104CY4C7RGWMR"},
		{TokenID: []byte("fedcba9876543210"), InspectionID: "INS-20260302-BBBBBB01", OfficerID: "O-0002", USCC: "91510104CY4C7RGWMR", At: at.UTC(), Scans: 1},
	}

	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		ev, err := tx.CreateBucket([]byte("events"))
		if err != nil {
			return err
		}
		for _, e := range f.events {
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], e.GetSeq())
			v, _ := proto.Marshal(e)
			if err := ev.Put(k[:], v); err != nil {
				return err
			}
		}
		cn, err := tx.CreateBucket([]byte("counts"))
		if err != nil {
			return err
		}
		for k, n := range f.counts {
			if err := cn.Put([]byte(k), binary.BigEndian.AppendUint64(nil, uint64(n))); err != nil {
				return err
			}
		}
		tb, err := tx.CreateBucket([]byte("access_tokens"))
		if err != nil {
			return err
		}
		for _, a := range f.tokens {
			v, _ := json.Marshal(a)
			if err := tb.Put(a.Hash, v); err != nil {
				return err
			}
		}
		ib, err := tx.CreateBucket([]byte("inspections"))
		if err != nil {
			return err
		}
		for _, in := range f.plans {
			v, _ := proto.Marshal(in)
			if err := ib.Put([]byte(in.GetId()), v); err != nil {
				return err
			}
		}
		be, err := tx.CreateBucket([]byte("events_by_enterprise"))
		if err != nil {
			return err
		}
		for uscc, seqs := range f.byEnt {
			for _, seq := range seqs {
				if err := be.Put(binary.BigEndian.AppendUint64([]byte(uscc+"\x00"), seq), nil); err != nil {
					return err
				}
			}
		}
		// Signed 4 events after the second block: the two blocks are
		// sealed on open, the events after them stay single.
		cp, err := tx.CreateBucket([]byte("checkpoints"))
		if err != nil {
			return err
		}
		if err := cp.Put(binary.BigEndian.AppendUint64(nil, 2*bolt.BlockEvents+4), []byte("cp")); err != nil {
			return err
		}
		cb, err := tx.CreateBucket([]byte("codes"))
		if err != nil {
			return err
		}
		for k, c := range f.codes {
			v, _ := proto.Marshal(c)
			if err := cb.Put([]byte(k), v); err != nil {
				return err
			}
		}
		// Merkle tree nodes of every level, as tlog kept them before.
		tn, err := tx.CreateBucket([]byte("tree_nodes"))
		if err != nil {
			return err
		}
		for level := byte(0); level <= 5; level++ {
			for i := 0; i < 40>>level; i++ {
				k := []byte{level, 0, 0, 0, 0, 0, 0, 0, byte(i)}
				if err := tn.Put(k, bytes.Repeat([]byte{level}, 32)); err != nil {
					return err
				}
			}
		}
		ck, err := tx.CreateBucket([]byte("check_ins"))
		if err != nil {
			return err
		}
		for _, c := range f.checkIns {
			v, _ := json.Marshal(c)
			if err := ck.Put(c.TokenID, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A file written before the lean formats is rewritten when opened, a few
// records per transaction, and every record reads back as it was: the
// events with the same hashes (so the chain verifies and the Merkle log's
// leaves are the same), the codes with their token and URL, the check-ins.
func TestOpen_OldFormatFile_MigratesAndReadsBackEveryRecord(t *testing.T) {
	defer bolt.SetMigrateBatch(4)()
	path := filepath.Join(t.TempDir(), "ruqi.db")
	old := writeOldFile(t, path)

	for open := 1; open <= 2; open++ { // the second open finds it done
		s, err := bolt.Open(path, bolt.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		err = s.View(context.Background(), func(r store.Reader) error {
			var got []*ruqiv1.Event
			if err := r.Events(0, func(e *ruqiv1.Event) error { got = append(got, e); return nil }); err != nil {
				return err
			}
			if len(got) != len(old.events) {
				return fmt.Errorf("%d events, want %d", len(got), len(old.events))
			}
			for i, e := range got {
				if !proto.Equal(e, old.events[i]) {
					return fmt.Errorf("event %d reads\n%v\nwant\n%v", i+1, e, old.events[i])
				}
				if !bytes.Equal(tlog.LeafHash(e), tlog.LeafHash(old.events[i])) {
					return fmt.Errorf("event %d: leaf hash changed", i+1)
				}
			}
			for after := range old.events { // walks that start anywhere, inside a block too
				var part []*ruqiv1.Event
				if err := r.Events(uint64(after), func(e *ruqiv1.Event) error { part = append(part, e); return nil }); err != nil {
					return err
				}
				if len(part) != len(old.events)-after || !proto.Equal(part[0], old.events[after]) {
					return fmt.Errorf("events after %d: %d starting with %v", after, len(part), part[0])
				}
			}
			rep, err := store.VerifyChain(r)
			if err != nil {
				return err
			}
			last := old.events[len(old.events)-1]
			if !rep.Intact || rep.Events != uint64(len(old.events)) || !bytes.Equal(rep.HeadHash, last.GetHash()) {
				return fmt.Errorf("chain after migration: %+v", rep)
			}
			if seq, h, err := r.Head(); err != nil || seq != last.GetSeq() || !bytes.Equal(h, last.GetHash()) {
				return fmt.Errorf("head %d %x %v", seq, h, err)
			}
			for uscc, seqs := range old.byEnt {
				for _, after := range []int{0, 1, 60, 100} {
					var got []uint64
					if err := r.EnterpriseEvents(uscc, uint64(seqs[after]), func(seq uint64) error { got = append(got, seq); return nil }); err != nil {
						return err
					}
					if after == 0 { // and from the very start
						got = nil
						if err := r.EnterpriseEvents(uscc, 0, func(seq uint64) error { got = append(got, seq); return nil }); err != nil {
							return err
						}
						if fmt.Sprint(got) != fmt.Sprint(seqs) {
							return fmt.Errorf("events of %s: %v, want %v", uscc, got, seqs)
						}
					} else if after < len(seqs) && fmt.Sprint(got) != fmt.Sprint(seqs[after+1:]) {
						return fmt.Errorf("events of %s after %d: %v, want %v", uscc, seqs[after], got, seqs[after+1:])
					}
					if len(seqs) < 100 {
						break
					}
				}
			}
			counts := map[string]int64{}
			if err := r.Counts("", func(k string, n int64) error { counts[k] = n; return nil }); err != nil {
				return err
			}
			if fmt.Sprint(counts) != fmt.Sprint(old.counts) {
				return fmt.Errorf("counts %v, want %v", counts, old.counts)
			}
			if n, err := r.Count("A|y"); err != nil || n != -2 {
				return fmt.Errorf("count A|y = %d %v", n, err)
			}
			for _, want := range old.tokens {
				a, err := r.AccessToken(want.Hash)
				if err != nil {
					return err
				}
				wjs, _ := json.Marshal(want)
				ajs, _ := json.Marshal(a)
				if string(ajs) != string(wjs) {
					return fmt.Errorf("access token reads %s, want %s", ajs, wjs)
				}
			}
			for _, want := range old.plans {
				in, err := r.Inspection(want.GetId())
				if err != nil || !proto.Equal(in, want) {
					return fmt.Errorf("inspection reads %v (%v), want %v", in, err, want)
				}
			}
			for k, want := range old.codes {
				codes, err := r.Codes(want.GetInspectionId())
				if err != nil {
					return err
				}
				if len(codes) != 1 || !proto.Equal(codes[0], want) {
					return fmt.Errorf("codes of %q: %v, want %v", k, codes, want)
				}
			}
			for _, want := range old.checkIns {
				c, err := r.CheckIn(want.TokenID)
				if err != nil {
					return err
				}
				_, wo := want.At.Zone()
				_, co := c.At.Zone()
				if !bytes.Equal(c.TokenID, want.TokenID) || c.InspectionID != want.InspectionID || c.OfficerID != want.OfficerID ||
					c.USCC != want.USCC || !c.At.Equal(want.At) || co != wo || c.Scans != want.Scans || c.By != want.By {
					return fmt.Errorf("check-in reads %+v, want %+v", c, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("open %d: %v", open, err)
		}
		// Appending goes on from the migrated head.
		err = s.Update(context.Background(), func(tx store.Tx) error {
			return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_REGISTERED})
		})
		if err != nil {
			t.Fatal(err)
		}
		old.events = append(old.events, nil)
		_ = s.View(context.Background(), func(r store.Reader) error {
			return r.Events(uint64(len(old.events)-1), func(e *ruqiv1.Event) error { old.events[len(old.events)-1] = e; return nil })
		})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// On disk, all but the foreign code are lean now, the first events are
	// two sealed blocks, and the tree keeps its nodes from tlog.KeptLevel up
	// only.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for _, b := range []string{"events", "codes", "check_ins", "inspections", "access_tokens"} {
			err := tx.Bucket([]byte(b)).ForEach(func(k, v []byte) error {
				if lean := store.IsLean(v); lean != (string(k) != "INS-X\x00O-X") {
					return fmt.Errorf("%s %q: lean %v", b, k, lean)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		var keys []string
		err := tx.Bucket([]byte("events")).ForEach(func(k, _ []byte) error {
			keys = append(keys, fmt.Sprintf("%d/%d", binary.BigEndian.Uint64(k[:8]), len(k)))
			return nil
		})
		if err != nil {
			return err
		}
		want := []string{"1/9", fmt.Sprintf("%d/9", bolt.BlockEvents+1)}
		for seq := 2*bolt.BlockEvents + 1; seq <= 2*bolt.BlockEvents+10; seq++ {
			want = append(want, fmt.Sprintf("%d/8", seq))
		}
		if fmt.Sprint(keys) != fmt.Sprint(want) {
			return fmt.Errorf("event keys (first seq/key length) %v, want %s", keys, want)
		}
		// Counters as varints, but for one too large for 7 bytes.
		err = tx.Bucket([]byte("counts")).ForEach(func(k, v []byte) error {
			if (len(v) == 8) != (string(k) == "A|z") {
				return fmt.Errorf("count %s stored in %d bytes", k, len(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		// The enterprise index in chunks: 129 seqs in 3, 3 in 1.
		n := map[string]int{}
		err = tx.Bucket([]byte("events_by_enterprise")).ForEach(func(k, _ []byte) error {
			n[string(k[:len(k)-9])]++
			return nil
		})
		if err != nil {
			return err
		}
		if n["91510104CY4C7RGWMR"] != 3 || n["91510104CY4C7RGWM"] != 1 || len(n) != 2 {
			return fmt.Errorf("enterprise index keys %v, want 3 and 1", n)
		}
		var levels []byte
		err = tx.Bucket([]byte("tree_nodes")).ForEach(func(k, v []byte) error {
			if len(levels) == 0 || levels[len(levels)-1] != k[0] {
				levels = append(levels, k[0])
			}
			return nil
		})
		if err != nil {
			return err
		}
		if string(levels) != string([]byte{tlog.KeptLevel, tlog.KeptLevel + 1}) {
			return fmt.Errorf("tree node levels %v after migration, want %d and %d", levels, tlog.KeptLevel, tlog.KeptLevel+1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The upgrade of a province's file takes minutes; a start that logged
// nothing meanwhile looked hung to the operator (noticed in an upgrade
// trial, 2026-12-06). It says when it starts, how far it is while it runs,
// and when it is done; a file already upgraded says nothing of it.
func TestOpen_OldFormatFile_LogsProgress(t *testing.T) {
	defer bolt.SetMigrateBatch(4)()
	defer bolt.SetProgressEvery(0)()
	path := filepath.Join(t.TempDir(), "ruqi.db")
	writeOldFile(t, path)
	for open := 1; open <= 2; open++ {
		var logged bytes.Buffer
		o := bolt.DefaultOptions()
		o.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		s, err := bolt.Open(path, o)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		out := logged.String()
		for _, want := range []string{"upgrading the file's records", `msg="store: upgrading the file" bucket=events transactions=`, "the file's records are upgraded"} {
			if got := strings.Contains(out, want); got != (open == 1) {
				t.Errorf("open %d: log has %q: %v\n%s", open, want, got, out)
			}
		}
	}
}

// A new file has no records of an older version: opening it says nothing
// of upgrading them, which README ties to a file of an older version (it
// said so on every new data directory, a new operator's trial).
func TestOpen_NewFile_SaysNothingOfAnUpgrade(t *testing.T) {
	var logged bytes.Buffer
	o := bolt.DefaultOptions()
	o.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	s, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if strings.Contains(logged.String(), "upgrad") {
		t.Errorf("a new file's open logs an upgrade:\n%s", logged.String())
	}
}
