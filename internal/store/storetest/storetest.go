// Package storetest is the conformance suite that every store backend runs
// against its real engine (the trillian storagetest pattern).
//
// Besides what each method returns, it checks the isolation that the service
// relies on (store.Store's comment states it):
//   - Update is serializable: read-then-write steps from many goroutines, and
//     from two instances on one database (RunReplicas), lose no update;
//   - fn may run more than once, and only the run that committed leaves
//     anything behind;
//   - counters added to concurrently add up exactly;
//   - concurrent appends give one gapless, intact hash chain, each event once;
//   - View sees one snapshot: never half of another transaction;
//   - after WaitSequenced, every event committed before it is in the log.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Opener opens the same backing storage each time it is called, so that the
// suite can close a store and open it again to check durability.
type Opener func() (store.Store, error)

// Factory gives each test its own fresh, empty storage.
type Factory func(t *testing.T) Opener

// Run runs the whole suite, with one store instance open at a time.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"DirectoryRoundTrip", testDirectoryRoundTrip},
		{"NotFound", testNotFound},
		{"InspectionIndexAndCodes", testInspectionIndexAndCodes},
		{"FailedUpdateWritesNothing", testFailedUpdateWritesNothing},
		{"EventChain", testEventChain},
		{"FailingWriterAmongManyWritesNothing", testFailingWriterAmongMany},
		{"SurvivesReopen", testSurvivesReopen},
		{"CredentialsAndKeys", testCredentialsAndKeys},
		{"JointsAndCounts", testJointsAndCounts},
		{"EvaluationsLeadsTokenIDs", testEvaluationsLeadsTokenIDs},
		{"MerkleLogRecords", testMerkleLogRecords},
		{"SealedEventsReadAsBefore", testSealedEvents},
		{"EnterpriseIndexManyEvents", testEnterpriseIndex},
		{"TokensOfSubject", testTokensOfSubject},
		{"TokenIDOfAnotherToken", testTokenIDOfAnotherToken},
		{"TokensListedAndDeleted", testTokensListedAndDeleted},
		{"ListsArePaged", testPaging},
		{"EnterpriseCodesAndArrivals", testEnterpriseCodesAndArrivals},
		{"CheckInsOfOfficer", testCheckInsOfOfficer},
		{"DrawsAccompanimentsCheckpointAtLeast", testDrawsAccompaniments},
		{"PlansKeepVersions", testPlans},
		{"MatchingRecords", testMatchingRecords},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f(t)) })
	}
	runIsolation(t, f, 1)
}

// RunReplicas runs the isolation tests with two store instances open on one
// database at once, as two replicas of the server use it. It is for backends
// that several processes share (PostgreSQL), not for one held by a single
// process (a bbolt file).
func RunReplicas(t *testing.T, f Factory) {
	runIsolation(t, f, 2)
}

func runIsolation(t *testing.T, f Factory, instances int) {
	tests := []struct {
		name string
		fn   func(*testing.T, []store.Store)
	}{
		{"ConcurrentUpdatesKeepChainGapless", testConcurrentUpdates},
		{"ReadThenWriteLosesNoUpdate", testReadThenWrite},
		{"ConcurrentCountersAddUp", testConcurrentCounters},
		{"ViewSeesOneSnapshot", testViewSnapshot},
		{"WatchSeesOtherInstancesChanges", testWatch},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/instances=%d", tc.name, instances), func(t *testing.T) {
			o := f(t)
			stores := make([]store.Store, instances)
			for i := range stores {
				stores[i] = open(t, o)
			}
			tc.fn(t, stores)
		})
	}
}

var ctx = context.Background()

func open(t *testing.T, o Opener) store.Store {
	t.Helper()
	s, err := o()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func update(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func ts(s string) *timestamppb.Timestamp {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(tm)
}

func sampleInspection(id, uscc string) *ruqiv1.Inspection {
	return &ruqiv1.Inspection{
		Id: id, AgencyId: "AG-01", EnterpriseUscc: uscc,
		CheckItemIds: []string{"CI-1"}, OfficerIds: []string{"O-1", "O-2"},
		WindowStart: ts("2026-11-22T01:00:00Z"), WindowEnd: ts("2026-11-22T09:00:00Z"),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查",
		State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
	}
}

func event(typ ruqiv1.EventType, inspection string) *ruqiv1.Event {
	return &ruqiv1.Event{Time: timestamppb.Now(), Type: typ, Actor: "officer:O-1", InspectionId: inspection}
}

func testDirectoryRoundTrip(t *testing.T, o Opener) {
	s := open(t, o)
	ag := &ruqiv1.Agency{Id: "AG-01", Name: "样例市场监督管理局", RegionCode: "510104", Level: ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY}
	officers := []*ruqiv1.Officer{
		{Id: "O-2", Name: "李四", AgencyId: "AG-01", CertificateNumber: "51010420230002", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE},
		{Id: "O-1", Name: "张三", AgencyId: "AG-01", CertificateNumber: "51010420230001", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE},
		{Id: "O-3", Name: "王五", AgencyId: "AG-02"},
	}
	item := &ruqiv1.CheckItem{Id: "CI-1", AgencyId: "AG-01", Name: "食品经营许可检查", LegalBasis: &ruqiv1.LegalBasis{Law: "《中华人民共和国食品安全法》", Article: "第八十七条"}}
	ent := &ruqiv1.Enterprise{Uscc: "91350100M000100Y43", Name: "样例公司", CreditGrade: ruqiv1.CreditGrade_CREDIT_GRADE_B}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.PutAgency(ag), tx.PutOfficer(officers[0]), tx.PutOfficer(officers[1]), tx.PutOfficer(officers[2]), tx.PutCheckItem(item), tx.PutEnterprise(ent))
	})
	err := s.View(ctx, func(r store.Reader) error {
		gotAg, err := r.Agency("AG-01")
		if err != nil || !proto.Equal(gotAg, ag) {
			return fmt.Errorf("agency = %v, %v", gotAg, err)
		}
		list, err := r.Officers("AG-01")
		if err != nil || len(list) != 2 || list[0].GetId() != "O-1" || list[1].GetId() != "O-2" {
			return fmt.Errorf("officers of AG-01 = %v, %v; want O-1, O-2 in id order", list, err)
		}
		items, err := r.CheckItems("AG-01")
		if err != nil || len(items) != 1 || !proto.Equal(items[0], item) {
			return fmt.Errorf("items = %v, %v", items, err)
		}
		gotEnt, err := r.Enterprise(ent.GetUscc())
		if err != nil || !proto.Equal(gotEnt, ent) {
			return fmt.Errorf("enterprise = %v, %v", gotEnt, err)
		}
		if page, err := r.Enterprises(store.Page{}); err != nil || len(page) != 1 || !proto.Equal(page[0], ent) {
			return fmt.Errorf("enterprises = %v, %v; want the one", page, err)
		}
		if page, err := r.Enterprises(store.Page{After: ent.GetUscc()}); err != nil || len(page) != 0 {
			return fmt.Errorf("enterprises after the last = %v, %v; want none", page, err)
		}
		if page, err := r.Enterprises(store.Page{After: "0", Limit: 1}); err != nil || len(page) != 1 || page[0].GetUscc() != ent.GetUscc() {
			return fmt.Errorf("a page of one after %q = %v, %v", "0", page, err)
		}
		ask := []string{"91350100M000200Y1X", ent.GetUscc(), "nope", ent.GetUscc()}
		if unknown, err := r.UnknownEnterprises(ask); err != nil || !slices.Equal(unknown, []string{ask[0], ask[2]}) {
			return fmt.Errorf("unknown of %v = %v, %v; want the first and third, in order", ask, unknown, err)
		}
		if unknown, err := r.UnknownEnterprises(nil); err != nil || len(unknown) != 0 {
			return fmt.Errorf("unknown of none = %v, %v", unknown, err)
		}
		if known, err := r.EnterprisesOf(ask); err != nil || len(known) != 2 || !proto.Equal(known[0], ent) || !proto.Equal(known[1], ent) {
			return fmt.Errorf("enterprises of %v = %v, %v; want the known one, twice as asked", ask, known, err)
		}
		if known, err := r.EnterprisesOf(nil); err != nil || len(known) != 0 {
			return fmt.Errorf("enterprises of none = %v, %v", known, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Moving an officer to another agency moves it in the index too.
	moved := proto.CloneOf(officers[0])
	moved.AgencyId = "AG-02"
	update(t, s, func(tx store.Tx) error { return tx.PutOfficer(moved) })
	err = s.View(ctx, func(r store.Reader) error {
		a, _ := r.Officers("AG-01")
		b, _ := r.Officers("AG-02")
		if len(a) != 1 || len(b) != 2 {
			return fmt.Errorf("after move: AG-01 has %d, AG-02 has %d; want 1 and 2", len(a), len(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testNotFound(t *testing.T, o Opener) {
	s := open(t, o)
	err := s.View(ctx, func(r store.Reader) error {
		checks := map[string]error{}
		_, checks["agency"] = r.Agency("nope")
		_, checks["officer"] = r.Officer("nope")
		_, checks["enterprise"] = r.Enterprise("nope")
		_, checks["item"] = r.CheckItem("nope")
		_, checks["inspection"] = r.Inspection("nope")
		_, checks["request"] = r.InspectionForRequest("nope")
		_, checks["checkin"] = r.CheckIn([]byte("nope"))
		_, checks["token"] = r.AccessToken([]byte("nope"))
		for what, err := range checks {
			if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%s: err = %v, want ErrNotFound", what, err)
			}
		}
		if seq, hash, err := r.Head(); seq != 0 || hash != nil || err != nil {
			return fmt.Errorf("empty head = %d %x %v", seq, hash, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testInspectionIndexAndCodes(t *testing.T, o Opener) {
	s := open(t, o)
	a, b := "91350100M000100Y43", "91110000600037341L"
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutInspection(sampleInspection("INS-2", a)),
			tx.PutInspection(sampleInspection("INS-1", a)),
			tx.PutInspection(sampleInspection("INS-3", b)),
			tx.PutCode(&ruqiv1.InspectionCode{InspectionId: "INS-1", OfficerId: "O-2", Token: "T2", QrPng: []byte{1}}),
			tx.PutCode(&ruqiv1.InspectionCode{InspectionId: "INS-1", OfficerId: "O-1", Token: "T1"}),
			tx.PutCode(&ruqiv1.InspectionCode{InspectionId: "INS-10", OfficerId: "O-1", Token: "T10"}),
			tx.PutRequest("req-1", "INS-1"),
		)
	})
	err := s.View(ctx, func(r store.Reader) error {
		list, err := r.InspectionsOfEnterprise(a, store.Page{})
		if err != nil || len(list) != 2 || list[0].GetId() != "INS-1" || list[1].GetId() != "INS-2" {
			return fmt.Errorf("inspections of a = %v, %v", list, err)
		}
		codes, err := r.Codes("INS-1")
		if err != nil || len(codes) != 2 || codes[0].GetToken() != "T1" || codes[1].GetToken() != "T2" {
			return fmt.Errorf("codes of INS-1 = %v, %v; want T1, T2 only (not INS-10's)", codes, err)
		}
		if codes[1].GetQrPng() != nil {
			return fmt.Errorf("QR image was stored")
		}
		if id, err := r.InspectionForRequest("req-1"); id != "INS-1" || err != nil {
			return fmt.Errorf("request = %q, %v", id, err)
		}
		// Held ones only, by the id asked, once however often asked.
		ask := []string{"INS-3", "INS-10", "INS-1", "", "INS-3"}
		got, err := r.InspectionsOf(ask)
		if err != nil || len(got) != 2 || !proto.Equal(got["INS-3"], sampleInspection("INS-3", b)) || !proto.Equal(got["INS-1"], sampleInspection("INS-1", a)) {
			return fmt.Errorf("inspections of %v = %v, %v; want INS-1 and INS-3, not the unknown ones", ask, got, err)
		}
		if got, err := r.InspectionsOf(nil); err != nil || len(got) != 0 {
			return fmt.Errorf("inspections of none = %v, %v", got, err)
		}
		if got, err := r.InspectionsOf([]string{"INS-10"}); err != nil || len(got) != 0 {
			return fmt.Errorf("inspections of an unknown one = %v, %v; want none", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testFailedUpdateWritesNothing(t *testing.T, o Opener) {
	s := open(t, o)
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutInspection(sampleInspection("INS-1", "91350100M000100Y43")); err != nil {
			return err
		}
		if err := tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_REGISTERED, "INS-1")); err != nil {
			return err
		}
		if err := tx.AddCount("registered", 1); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update err = %v, want boom", err)
	}
	waitSequenced(t, s)
	err = s.View(ctx, func(r store.Reader) error {
		if _, err := r.Inspection("INS-1"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("inspection written by failed update: %v", err)
		}
		if seq, _, _ := r.Head(); seq != 0 {
			return fmt.Errorf("event written by failed update: head %d", seq)
		}
		if n, err := r.Count("registered"); n != 0 || err != nil {
			return fmt.Errorf("count added by failed update: %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The rolled-back event took no position: the next one is the first.
	update(t, s, func(tx store.Tx) error {
		return tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_REGISTERED, "INS-2"))
	})
	waitSequenced(t, s)
	err = s.View(ctx, func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != 1 {
			return fmt.Errorf("chain after rollback and one append = %+v, %v; want 1 intact event", rep, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Writers move units between two counters and two records in one Update
// each; readers, at another instance where there is one, never see the
// totals off: a View never sees half of an Update.
func testViewSnapshot(t *testing.T, stores []store.Store) {
	const total = 1000
	writer, reader := stores[0], stores[len(stores)-1]
	tokA, tokB := []byte("a"), []byte("b")
	update(t, writer, func(tx store.Tx) error {
		return errors.Join(tx.AddCount("units|a", total),
			tx.PutCheckIn(&store.CheckIn{TokenID: tokA, Scans: total}), tx.PutCheckIn(&store.CheckIn{TokenID: tokB}))
	})
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				err := writer.Update(ctx, func(tx store.Tx) error {
					a, err := tx.CheckIn(tokA)
					if err != nil {
						return err
					}
					b, err := tx.CheckIn(tokB)
					if err != nil {
						return err
					}
					a.Scans--
					b.Scans++
					return errors.Join(tx.AddCount("units|a", -1), tx.AddCount("units|b", 1), tx.PutCheckIn(a), tx.PutCheckIn(b))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				err := reader.View(ctx, func(r store.Reader) error {
					var sum int64
					err := r.Counts("units|", func(_ string, n int64) error { sum += n; return nil })
					if err != nil {
						return err
					}
					a, err := r.CheckIn(tokA)
					if err != nil {
						return err
					}
					b, err := r.CheckIn(tokB)
					if err != nil {
						return err
					}
					if sum != total || a.Scans+b.Scans != total {
						return fmt.Errorf("a view saw counters summing to %d and records to %d, want %d: half of an update", sum, a.Scans+b.Scans, total)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func waitSequenced(t *testing.T, s store.Store) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.WaitSequenced(wctx); err != nil {
		t.Fatalf("wait until sequenced: %v", err)
	}
}

func testEventChain(t *testing.T, o Opener) {
	s := open(t, o)
	for i := 0; i < 5; i++ {
		update(t, s, func(tx store.Tx) error {
			return tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, fmt.Sprintf("INS-%d", i)))
		})
	}
	waitSequenced(t, s)
	err := s.View(ctx, func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != 5 {
			return fmt.Errorf("chain = %+v, %v", rep, err)
		}
		var seen []uint64
		err = r.Events(2, func(e *ruqiv1.Event) error {
			seen = append(seen, e.GetSeq())
			if e.GetSeq() == 4 {
				return store.ErrStop
			}
			return nil
		})
		if err != nil || fmt.Sprint(seen) != "[3 4]" {
			return fmt.Errorf("events after 2, stopping at 4 = %v, %v", seen, err)
		}
		seq, hash, err := r.Head()
		if err != nil || seq != 5 || string(hash) != string(rep.HeadHash) {
			return fmt.Errorf("head = %d %x, chain head %x", seq, hash, rep.HeadHash)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Many writers, spread over the instances, each register inspections with
// their events: every inspection is there, and the log is one gapless,
// intact chain holding each event once.
func testConcurrentUpdates(t *testing.T, stores []store.Store) {
	const writers, each = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%len(stores)]
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("INS-%02d-%03d", w, i)
				err := s.Update(ctx, func(tx store.Tx) error {
					if err := tx.PutInspection(sampleInspection(id, "91350100M000100Y43")); err != nil {
						return err
					}
					if err := tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_REGISTERED, id)); err != nil {
						return err
					}
					return tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED, id))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, s := range stores {
		waitSequenced(t, s)
	}
	for i, s := range stores {
		err := s.View(ctx, func(r store.Reader) error {
			rep, err := store.VerifyChain(r)
			if err != nil || !rep.Intact || rep.Events != 2*writers*each {
				return fmt.Errorf("chain = %+v, %v; want %d intact events", rep, err, 2*writers*each)
			}
			// Each inspection's two events are there once, in the order
			// its transaction appended them.
			next := map[string]ruqiv1.EventType{}
			err = r.Events(0, func(e *ruqiv1.Event) error {
				want := ruqiv1.EventType_EVENT_TYPE_REGISTERED
				if next[e.GetInspectionId()] != 0 {
					want = next[e.GetInspectionId()]
				}
				if e.GetType() != want {
					return fmt.Errorf("event %d of %s is %v, want %v", e.GetSeq(), e.GetInspectionId(), e.GetType(), want)
				}
				next[e.GetInspectionId()] = ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED
				if e.GetType() == ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED {
					next[e.GetInspectionId()] = -1
				}
				return nil
			})
			if err != nil {
				return err
			}
			list, err := r.InspectionsOfEnterprise("91350100M000100Y43", store.Page{})
			if err != nil || len(list) != writers*each || len(next) != writers*each {
				return fmt.Errorf("%d inspections with events of %d, %v; want %d", len(list), len(next), err, writers*each)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
}

// Read-then-write steps on one record (repeated scans of one code, each
// reading the check-in and writing it back with one more scan) lose no
// update, also the first ones that find no record yet. Each run of fn also
// writes a marker of its own: fn may run more than once, and exactly the
// run that committed (the last) must leave its marker. Every fifth step
// fails after writing, and leaves nothing; on bbolt that failure is what
// makes the other steps of its batch run again.
func testReadThenWrite(t *testing.T, stores []store.Store) {
	const scanners, each = 8, 10
	tokenID := []byte("token-1")
	var mu sync.Mutex
	runs := map[string]int{}    // update → how many times fn ran
	failed := map[string]bool{} // updates meant to fail
	refused := errors.New("refused after writing")
	failing := func(i int) bool { return i%5 == 4 }
	var wg sync.WaitGroup
	errs := make(chan error, scanners)
	for g := 0; g < scanners; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[g%len(stores)]
			for i := 0; i < each; i++ {
				name := fmt.Sprintf("scan-%d-%d", g, i)
				err := s.Update(ctx, func(tx store.Tx) error {
					mu.Lock()
					failed[name] = failing(i)
					runs[name]++
					run := runs[name]
					mu.Unlock()
					ci, err := tx.CheckIn(tokenID)
					if errors.Is(err, store.ErrNotFound) {
						ci, err = &store.CheckIn{TokenID: tokenID, InspectionID: "INS-1", OfficerID: "O-1"}, nil
					}
					if err != nil {
						return err
					}
					ci.Scans++
					if err := tx.PutCheckIn(ci); err != nil {
						return err
					}
					if err := tx.PutRequest(fmt.Sprintf("%s-run-%d", name, run), name); err != nil {
						return err
					}
					if failing(i) {
						return refused
					}
					return nil
				})
				if failing(i) && !errors.Is(err, refused) {
					errs <- fmt.Errorf("%s: err = %v, want fn's own error", name, err)
					return
				}
				if !failing(i) && err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	committed := scanners * (each - each/5)
	err := stores[len(stores)-1].View(ctx, func(r store.Reader) error {
		ci, err := r.CheckIn(tokenID)
		if err != nil || ci.Scans != committed {
			return fmt.Errorf("check-in after %d committed scans: %+v, %v (an update was lost, or a failed one kept)", committed, ci, err)
		}
		for name, n := range runs {
			total += n
			for run := 1; run <= n; run++ {
				_, err := r.InspectionForRequest(fmt.Sprintf("%s-run-%d", name, run))
				if (run < n || failed[name]) && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("%s: run %d of %d was retried or failed yet left its write (%v)", name, run, n, err)
				}
				if run == n && !failed[name] && err != nil {
					return fmt.Errorf("%s: the committed run %d left no write: %v", name, run, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d updates ran fn %d times", scanners*each, total)
}

// Counters added to from many goroutines and instances at once add up, both
// one by one and by prefix; a read-then-add (a version kept as a counter,
// raised to a target) stays exact.
func testConcurrentCounters(t *testing.T, stores []store.Store) {
	const adders, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, adders)
	for g := 0; g < adders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[g%len(stores)]
			for i := 0; i < each; i++ {
				err := s.Update(ctx, func(tx store.Tx) error {
					if err := tx.AddCount("R|registered|2026-11|510104", 1); err != nil {
						return err
					}
					if err := tx.AddCount(fmt.Sprintf("R|registered|2026-11|5102%02d", g), 2); err != nil {
						return err
					}
					// Raise "version" to g*each+i+1 if lower, as joint
					// membership versions are kept.
					v, err := tx.Count("version")
					if err != nil {
						return err
					}
					if target := int64(g*each + i + 1); target > v {
						return tx.AddCount("version", target-v)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	err := stores[0].View(ctx, func(r store.Reader) error {
		if n, err := r.Count("R|registered|2026-11|510104"); n != adders*each || err != nil {
			return fmt.Errorf("hot counter = %d, %v; want %d", n, err, adders*each)
		}
		var sum, keys int64
		err := r.Counts("R|registered|2026-11|", func(k string, n int64) error {
			sum += n
			keys++
			return nil
		})
		// 510104, and one key per adder.
		if err != nil || sum != 3*adders*each || keys != adders+1 {
			return fmt.Errorf("counts by prefix: %d keys summing to %d, %v; want %d keys, %d", keys, sum, err, adders+1, 3*adders*each)
		}
		if v, err := r.Count("version"); v != adders*each || err != nil {
			return fmt.Errorf("version = %d, %v; want %d (a read-then-add overshot or was lost)", v, err, adders*each)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testSurvivesReopen(t *testing.T, o Opener) {
	s, err := o()
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutInspection(sampleInspection("INS-1", "91350100M000100Y43")),
			tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_REGISTERED, "INS-1")),
			tx.PutSigningKey(store.SigningKey{ID: "k1", Seed: make([]byte, 32), CreatedAt: time.Unix(1, 0).UTC()}),
		)
	})
	// Closed before its events need be sequenced: they are sequenced later.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, o)
	waitSequenced(t, s)
	err = s.View(ctx, func(r store.Reader) error {
		if _, err := r.Inspection("INS-1"); err != nil {
			return err
		}
		keys, err := r.SigningKeys()
		if err != nil || len(keys) != 1 || keys[0].ID != "k1" {
			return fmt.Errorf("keys after reopen = %v, %v", keys, err)
		}
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != 1 {
			return fmt.Errorf("chain after reopen = %+v, %v", rep, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testCredentialsAndKeys(t *testing.T, o Opener) {
	s := open(t, o)
	tok := &store.AccessToken{ID: "t1", Hash: []byte("h1"), Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-1", CreatedAt: time.Unix(100, 0).UTC()}
	ci := &store.CheckIn{TokenID: []byte("tid"), InspectionID: "INS-1", OfficerID: "O-1", USCC: "91350100M000100Y43", At: time.Unix(200, 0).UTC(), Scans: 1, By: "device 前台 tok-1"}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.PutAccessToken(tok), tx.PutCheckIn(ci),
			tx.PutSigningKey(store.SigningKey{ID: "k1", Seed: []byte("s1")}),
			tx.PutSigningKey(store.SigningKey{ID: "k2", Seed: []byte("s2")}))
	})
	err := s.View(ctx, func(r store.Reader) error {
		got, err := r.AccessToken([]byte("h1"))
		if err != nil || got.Subject != "O-1" || got.Role != ruqiv1.Role_ROLE_OFFICER || !got.CreatedAt.Equal(tok.CreatedAt) {
			return fmt.Errorf("token = %+v, %v", got, err)
		}
		gotCI, err := r.CheckIn([]byte("tid"))
		if err != nil || gotCI.InspectionID != "INS-1" || gotCI.Scans != 1 || !gotCI.At.Equal(ci.At) || gotCI.By != ci.By {
			return fmt.Errorf("check-in = %+v, %v", gotCI, err)
		}
		keys, err := r.SigningKeys()
		if err != nil || len(keys) != 2 {
			return fmt.Errorf("keys = %v, %v", keys, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testJointsAndCounts(t *testing.T, o Opener) {
	s := open(t, o)
	j := &ruqiv1.JointInspection{Id: "JNT-1", EnterpriseUscc: "91350100M000100Y43", LeadAgencyId: "AG-01", InspectionIds: []string{"INS-1", "INS-2"}, Version: 7}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.PutJointInspection(j), tx.PutJointOf("INS-1", "JNT-1", 7), tx.PutJointOf("INS-3", "", 9),
			tx.AddCount("merged|2026", 2), tx.AddCount("merged|2026", 3), tx.AddCount("refused|2026", -1),
			tx.AddCount("merged|2025", 4))
	})
	// Back to zero in a later commit: a zero reads as none, whether or not
	// the backend has folded the deltas yet.
	update(t, s, func(tx store.Tx) error { return tx.AddCount("merged|2025", -4) })
	err := s.View(ctx, func(r store.Reader) error {
		got, err := r.JointInspection("JNT-1")
		if err != nil || !proto.Equal(got, j) {
			return fmt.Errorf("joint = %v, %v", got, err)
		}
		if joint, v, err := r.JointOf("INS-1"); joint != "JNT-1" || v != 7 || err != nil {
			return fmt.Errorf("joint of INS-1 = %q %d %v", joint, v, err)
		}
		if joint, v, err := r.JointOf("INS-3"); joint != "" || v != 9 || err != nil {
			return fmt.Errorf("joint of INS-3 = %q %d %v; want alone at version 9", joint, v, err)
		}
		if _, _, err := r.JointOf("INS-2"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("joint of INS-2: %v, want ErrNotFound", err)
		}
		var seen []string
		if err := r.Counts("merged|", func(k string, n int64) error { seen = append(seen, fmt.Sprint(k, "=", n)); return nil }); err != nil || fmt.Sprint(seen) != "[merged|2026=5]" {
			return fmt.Errorf("counts with prefix merged| = %v, %v", seen, err)
		}
		for key, want := range map[string]int64{"merged|2026": 5, "merged|2025": 0, "refused|2026": -1, "never": 0} {
			if n, err := r.Count(key); n != want || err != nil {
				return fmt.Errorf("count %s = %d, %v; want %d", key, n, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testEvaluationsLeadsTokenIDs(t *testing.T, o Opener) {
	s := open(t, o)
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: "INS-2", AgencyId: "AG-01", Overall: 4}),
			tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: "INS-1", AgencyId: "AG-01", Overall: 5}),
			tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: "INS-3", AgencyId: "AG-02", Overall: 1}),
			tx.PutLead(&ruqiv1.Lead{Id: "L-2", Kind: ruqiv1.LeadKind_LEAD_KIND_REFUSAL}),
			tx.PutLead(&ruqiv1.Lead{Id: "L-1", Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT}),
			tx.PutAccessToken(&store.AccessToken{ID: "tok-1", Hash: []byte("h1"), Subject: "O-1"}),
		)
	})
	err := s.View(ctx, func(r store.Reader) error {
		ag1, err := r.Evaluations("AG-01", store.Page{})
		if err != nil || len(ag1) != 2 || ag1[0].GetInspectionId() != "INS-1" {
			return fmt.Errorf("AG-01 evaluations = %v, %v", ag1, err)
		}
		all, err := r.Evaluations("", store.Page{})
		if err != nil || len(all) != 3 {
			return fmt.Errorf("all evaluations = %d, %v", len(all), err)
		}
		if e, err := r.Evaluation("INS-3"); err != nil || e.GetOverall() != 1 {
			return fmt.Errorf("evaluation INS-3 = %v, %v", e, err)
		}
		ask := []string{"INS-2", "INS-4", "INS-3", "INS-2"}
		if got, err := r.EvaluationsOf(ask); err != nil || len(got) != 2 || got["INS-2"].GetOverall() != 4 || got["INS-3"].GetOverall() != 1 ||
			got["INS-3"].GetInspectionId() != "INS-3" {
			return fmt.Errorf("evaluations of %v = %v, %v; want INS-2's and INS-3's, not INS-4's", ask, got, err)
		}
		if got, err := r.EvaluationsOf(nil); err != nil || len(got) != 0 {
			return fmt.Errorf("evaluations of none = %v, %v", got, err)
		}
		if got, err := r.EvaluationsOf([]string{"INS-4", "INS-4"}); err != nil || len(got) != 0 {
			return fmt.Errorf("evaluations of an unknown one = %v, %v; want none", got, err)
		}
		leads, err := r.Leads(store.Page{})
		if err != nil || len(leads) != 2 || leads[0].GetId() != "L-1" {
			return fmt.Errorf("leads = %v, %v", leads, err)
		}
		if tok, err := r.AccessTokenByID("tok-1"); err != nil || tok.Subject != "O-1" {
			return fmt.Errorf("token by id = %v, %v", tok, err)
		}
		if _, err := r.AccessTokenByID("tok-2"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("unknown token id: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Inspection plans: a plan is rewritten with each new version and keeps
// every earlier one; rewriting it keeps one entry in its agency's list.
func testPlans(t *testing.T, o Opener) {
	s := open(t, o)
	v1 := &ruqiv1.PlanVersion{Version: 1, Title: "燃气专项", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		Scope:        &ruqiv1.PlanScope{RegionCode: "510100", Industry: "燃气"},
		CheckItemIds: []string{"CI-1"}, PeriodStart: ts("2026-12-01T00:00:00+08:00"), PeriodEnd: ts("2027-01-01T00:00:00+08:00"),
		State: ruqiv1.PlanState_PLAN_STATE_FILED}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutPlan(&ruqiv1.Plan{Id: "PLAN-B", AgencyId: "AG-01", RegionCode: "510100", Versions: []*ruqiv1.PlanVersion{v1}}),
			tx.PutPlan(&ruqiv1.Plan{Id: "PLAN-A", AgencyId: "AG-02", RegionCode: "510100"}))
	})
	update(t, s, func(tx store.Tx) error {
		p, err := tx.Plan("PLAN-B")
		if err != nil {
			return err
		}
		p.Versions[0].State = ruqiv1.PlanState_PLAN_STATE_APPROVED
		p.Versions = append(p.Versions, &ruqiv1.PlanVersion{Version: 2, Title: "燃气专项（应急调整）", Emergency: true,
			Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{"91350100M000100Y43"}}, State: ruqiv1.PlanState_PLAN_STATE_FILED})
		return tx.PutPlan(p)
	})
	err := s.View(ctx, func(r store.Reader) error {
		p, err := r.Plan("PLAN-B")
		if err != nil || len(p.GetVersions()) != 2 || p.GetVersions()[0].GetState() != ruqiv1.PlanState_PLAN_STATE_APPROVED ||
			p.GetVersions()[0].GetScope().GetIndustry() != "燃气" || !p.GetVersions()[1].GetEmergency() {
			return fmt.Errorf("plan PLAN-B = %v, %v", p, err)
		}
		if _, err := r.Plan("PLAN-C"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("unknown plan: %v", err)
		}
		ag1, err := r.Plans("AG-01", store.Page{})
		if err != nil || fmt.Sprint(keys(ag1, (*ruqiv1.Plan).GetId)) != "[PLAN-B]" {
			return fmt.Errorf("AG-01 plans = %v, %v", ag1, err)
		}
		all, err := r.Plans("", store.Page{})
		if err != nil || fmt.Sprint(keys(all, (*ruqiv1.Plan).GetId)) != "[PLAN-A PLAN-B]" {
			return fmt.Errorf("all plans = %v, %v", all, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The Merkle log's records: tree nodes, checkpoints kept per size (a
// cosigned note replaces the bare one), the enterprise's index of events, and
// a fresh salt in every event so that published hashes cannot be guessed.
func testMerkleLogRecords(t *testing.T, o Opener) {
	s := open(t, o)
	err := s.View(ctx, func(r store.Reader) error {
		if _, err := r.TreeNode(0, 0); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("tree node in an empty store: %v, want ErrNotFound", err)
		}
		if size, note, err := r.LatestCheckpoint(); size != 0 || note != nil || err != nil {
			return fmt.Errorf("latest checkpoint of an empty store = %d %q %v", size, note, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx store.Tx) error {
		for _, n := range []struct {
			level uint
			index uint64
		}{{0, 0}, {0, 1}, {1, 0}, {0, 255}, {3, 1}} {
			if err := tx.PutTreeNode(n.level, n.index, []byte(fmt.Sprintf("h%d.%d", n.level, n.index))); err != nil {
				return err
			}
		}
		for _, size := range []uint64{2, 10, 3} {
			if err := tx.PutCheckpoint(size, []byte(fmt.Sprintf("cp %d", size))); err != nil {
				return err
			}
		}
		if err := tx.PutCheckpoint(10, []byte("cp 10 cosigned")); err != nil {
			return err
		}
		for _, seq := range []uint64{7, 3, 12} {
			if err := tx.PutEnterpriseEvent("91350100M000100Y43", seq); err != nil {
				return err
			}
		}
		if err := tx.PutEnterpriseEvent("91350100M000100Y4", 5); err != nil { // a prefix of the other
			return err
		}
		for i := 0; i < 2; i++ {
			if err := tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, "INS-1")); err != nil {
				return err
			}
		}
		return nil
	})
	waitSequenced(t, s)
	err = s.View(ctx, func(r store.Reader) error {
		if h, err := r.TreeNode(3, 1); err != nil || string(h) != "h3.1" {
			return fmt.Errorf("node 3.1 = %q %v", h, err)
		}
		if h, err := r.TreeNode(0, 255); err != nil || string(h) != "h0.255" {
			return fmt.Errorf("node 0.255 = %q %v", h, err)
		}
		if _, err := r.TreeNode(1, 1); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("node 1.1: %v, want ErrNotFound", err)
		}
		if size, note, err := r.LatestCheckpoint(); size != 10 || string(note) != "cp 10 cosigned" || err != nil {
			return fmt.Errorf("latest checkpoint = %d %q %v", size, note, err)
		}
		if note, err := r.Checkpoint(3); err != nil || string(note) != "cp 3" {
			return fmt.Errorf("checkpoint 3 = %q %v", note, err)
		}
		if _, err := r.Checkpoint(4); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("checkpoint 4: %v, want ErrNotFound", err)
		}
		var seqs []uint64
		err := r.EnterpriseEvents("91350100M000100Y43", 3, func(seq uint64) error {
			seqs = append(seqs, seq)
			return nil
		})
		if err != nil || fmt.Sprint(seqs) != "[7 12]" {
			return fmt.Errorf("enterprise events after 3 = %v %v, want [7 12]", seqs, err)
		}
		var salts [][]byte
		err = r.Events(0, func(e *ruqiv1.Event) error {
			salts = append(salts, e.GetSalt())
			return nil
		})
		if err != nil || len(salts) != 2 || len(salts[0]) != store.SaltSize || string(salts[0]) == string(salts[1]) {
			return fmt.Errorf("event salts = %x %v: want two different %d-byte salts", salts, err, store.SaltSize)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Events that the store seals after integration (bbolt packs them into
// compressed blocks) read back exactly as before, from wherever a walk
// starts, and the log goes on from them.
func testSealedEvents(t *testing.T, o Opener) {
	s := open(t, o)
	appendN := func(n int) {
		update(t, s, func(tx store.Tx) error {
			for i := 0; i < n; i++ {
				e := event(ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED, fmt.Sprintf("INS-%d", i%3))
				e.EnterpriseUscc, e.OfficerId, e.Detail = "91350100M000100Y43", fmt.Sprintf("O-%d", i%2), "key 5b4de30edbf2b331"
				if err := tx.AppendEvent(e); err != nil {
					return err
				}
			}
			return nil
		})
		waitSequenced(t, s)
	}
	all := func() []*ruqiv1.Event {
		var out []*ruqiv1.Event
		err := s.View(ctx, func(r store.Reader) error {
			return r.Events(0, func(e *ruqiv1.Event) error { out = append(out, e); return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, n := range []int{5, 300, 290} {
		appendN(n)
	}
	before := all()
	update(t, s, func(tx store.Tx) error { return tx.SealEvents(580) })
	appendN(3)
	after := all()
	if len(after) != len(before)+3 {
		t.Fatalf("%d events after sealing and 3 more, want %d", len(after), len(before)+3)
	}
	err := s.View(ctx, func(r store.Reader) error {
		for _, from := range []int{0, 1, 15, 16, 17, 255, 256, 257, 300, 511, 512, 513, 580, 594, 597} {
			i := from
			err := r.Events(uint64(from), func(e *ruqiv1.Event) error {
				if i < len(before) && !proto.Equal(e, before[i]) {
					return fmt.Errorf("walk from %d: event %d reads\n%v\nwant\n%v", from, i+1, e, before[i])
				}
				if e.GetSeq() != uint64(i+1) {
					return fmt.Errorf("walk from %d: seq %d at %d", from, e.GetSeq(), i+1)
				}
				i++
				return nil
			})
			if err != nil {
				return err
			}
			if i != len(after) {
				return fmt.Errorf("walk from %d ended at %d of %d", from, i, len(after))
			}
		}
		rep, err := store.VerifyChain(r)
		if err != nil {
			return err
		}
		if seq, h, err := r.Head(); err != nil || !rep.Intact || rep.Events != 598 || seq != 598 || !bytes.Equal(h, rep.HeadHash) {
			return fmt.Errorf("after sealing: chain %+v, head %d %x %v", rep, seq, h, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An enterprise's integrated events, many more than fit one record of a
// store that groups them (bbolt's chunks of 64), list in order from any
// point, apart from those of an enterprise whose USCC is a prefix of its.
func testEnterpriseIndex(t *testing.T, o Opener) {
	s := open(t, o)
	const a, b = "91350100M000100Y43", "91350100M000100Y4"
	var want []uint64
	update(t, s, func(tx store.Tx) error {
		for seq := uint64(1); seq <= 400; seq++ {
			uscc := a
			if seq%3 == 0 {
				uscc = b
			} else {
				want = append(want, seq)
			}
			if err := tx.PutEnterpriseEvent(uscc, seq); err != nil {
				return err
			}
		}
		return tx.PutEnterpriseEvent(a, 5) // again: still once
	})
	err := s.View(ctx, func(r store.Reader) error {
		for _, from := range []int{-1, 0, 63, 64, 65, 130, len(want) - 1} {
			after := uint64(0)
			if from >= 0 {
				after = want[from]
			}
			var got []uint64
			err := r.EnterpriseEvents(a, after, func(seq uint64) error { got = append(got, seq); return nil })
			if err != nil {
				return err
			}
			if fmt.Sprint(got) != fmt.Sprint(want[from+1:]) {
				return fmt.Errorf("after %d: %v, want %v", after, got, want[from+1:])
			}
		}
		n := 0
		err := r.EnterpriseEvents(b, 30, func(seq uint64) error {
			if n++; seq%3 != 0 || seq <= 30 || n == 3 {
				return store.ErrStop
			}
			return nil
		})
		if err != nil || n != 3 {
			return fmt.Errorf("events of %s after 30: stopped at %d (%v)", b, n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An enterprise's devices are listed by role and subject: another
// enterprise's, or an officer whose id happens to equal the subject, are not.
func testTokensOfSubject(t *testing.T, o Opener) {
	s := open(t, o)
	const uscc = "91350100M000100Y43"
	exp := time.Unix(300, 0).UTC()
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutAccessToken(&store.AccessToken{ID: "tok-b", Hash: []byte("hb"), Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, Kind: store.TokenDevice, Label: "前台", ExpiresAt: exp}),
			tx.PutAccessToken(&store.AccessToken{ID: "tok-a", Hash: []byte("ha"), Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, Kind: store.TokenSession}),
			tx.PutAccessToken(&store.AccessToken{ID: "tok-c", Hash: []byte("hc"), Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc + "X"}),
			tx.PutAccessToken(&store.AccessToken{ID: "tok-d", Hash: []byte("hd"), Role: ruqiv1.Role_ROLE_OFFICER, Subject: uscc}))
	})
	// Rewriting a token (revocation) keeps one index entry.
	update(t, s, func(tx store.Tx) error {
		tok, err := tx.AccessTokenByID("tok-b")
		if err != nil {
			return err
		}
		tok.RevokedAt = exp
		return tx.PutAccessToken(tok)
	})
	err := s.View(ctx, func(r store.Reader) error {
		got, err := r.AccessTokensOf(ruqiv1.Role_ROLE_ENTERPRISE, uscc)
		if err != nil {
			return err
		}
		if len(got) != 2 || got[0].ID != "tok-a" || got[1].ID != "tok-b" {
			return fmt.Errorf("tokens of %s = %+v", uscc, got)
		}
		if got[1].Kind != store.TokenDevice || got[1].Label != "前台" || !got[1].ExpiresAt.Equal(exp) || !got[1].RevokedAt.Equal(exp) {
			return fmt.Errorf("device token = %+v", got[1])
		}
		none, err := r.AccessTokensOf(ruqiv1.Role_ROLE_SUPERVISOR, uscc)
		if err != nil || len(none) != 0 {
			return fmt.Errorf("supervisor tokens of %s = %+v, %v", uscc, none, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every token is listed by id, a page at a time; a deleted token is gone
// by its hash, its id and its principal, its id free again, and the
// others stay. Deleting a token not held is no error.
func testTokensListedAndDeleted(t *testing.T, o Opener) {
	s := open(t, o)
	const uscc = "91350100M000100Y43"
	update(t, s, func(tx store.Tx) error {
		for _, id := range []string{"tok-c", "tok-a", "tok-e", "tok-b", "tok-d"} {
			if err := tx.PutAccessToken(&store.AccessToken{ID: id, Hash: []byte("h" + id), Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, Kind: store.TokenSession}); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func() []string {
		t.Helper()
		var out []string
		err := s.View(ctx, func(r store.Reader) error {
			return store.Each(2, r.AccessTokens, func(a *store.AccessToken) string { return a.ID }, func(a *store.AccessToken) error {
				out = append(out, a.ID)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := fmt.Sprint(ids()); got != "[tok-a tok-b tok-c tok-d tok-e]" {
		t.Fatalf("tokens listed two at a time: %s", got)
	}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(tx.DeleteAccessToken([]byte("htok-b")), tx.DeleteAccessToken([]byte("htok-e")), tx.DeleteAccessToken([]byte("not-held")))
	})
	if got := fmt.Sprint(ids()); got != "[tok-a tok-c tok-d]" {
		t.Fatalf("tokens listed after two were deleted: %s", got)
	}
	err := s.View(ctx, func(r store.Reader) error {
		if _, err := r.AccessToken([]byte("htok-b")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("deleted token by hash: %v", err)
		}
		if _, err := r.AccessTokenByID("tok-b"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("deleted token by id: %v", err)
		}
		of, err := r.AccessTokensOf(ruqiv1.Role_ROLE_ENTERPRISE, uscc)
		if err != nil || len(of) != 3 {
			return fmt.Errorf("tokens of %s after two were deleted: %d, %v", uscc, len(of), err)
		}
		if a, err := r.AccessToken([]byte("htok-a")); err != nil || a.ID != "tok-a" {
			return fmt.Errorf("a token kept: %+v, %v", a, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The id of a deleted token names nothing: it may be given again.
	update(t, s, func(tx store.Tx) error {
		return tx.PutAccessToken(&store.AccessToken{ID: "tok-b", Hash: []byte("another"), Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-1"})
	})
}

// A token id is a token's public name (revocation, a session's parent):
// it names one token. A second token under an id taken (48 bits of the
// token's hash: among millions of tokens, kept long, two meet) is
// refused, as PostgreSQL's UNIQUE refuses it. bbolt's index pointed the id
// at the second token: revoking the first by its id revoked the second,
// and left the first, a lost phone's, valid.
func testTokenIDOfAnotherToken(t *testing.T, o Opener) {
	s := open(t, o)
	first := &store.AccessToken{ID: "tok-0a1b2c3d4e5f", Hash: []byte("first-hash"), Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "91350100M000100Y43", Kind: store.TokenDevice}
	update(t, s, func(tx store.Tx) error { return tx.PutAccessToken(first) })
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.PutAccessToken(&store.AccessToken{ID: first.ID, Hash: []byte("other-hash"), Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "91350100M000200Y43", Kind: store.TokenSession})
	})
	if err == nil {
		t.Error("a second token was stored under the id of another")
	}
	err = s.View(ctx, func(r store.Reader) error {
		got, err := r.AccessTokenByID(first.ID)
		if err != nil {
			return err
		}
		if string(got.Hash) != "first-hash" {
			return fmt.Errorf("id %s names the token %q, not the one it was given to", first.ID, got.Hash)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Rewriting the token itself (its revocation) is no second token.
	update(t, s, func(tx store.Tx) error {
		tok, err := tx.AccessTokenByID(first.ID)
		if err != nil {
			return err
		}
		tok.RevokedAt = time.Unix(300, 0).UTC()
		return tx.PutAccessToken(tok)
	})
}

// Lists that grow with a province come in pages: walked with a limit, each
// page after the last key of the one before, they give the whole list in
// order, once, and only the owner's records; an After that is no key
// starts at the next one.
func testPaging(t *testing.T, o Opener) {
	s := open(t, o)
	const n = 7
	a, b := "91350100M000100Y43", "91110000600037341L"
	update(t, s, func(tx store.Tx) error {
		var errs []error
		for i := n; i >= 1; i-- { // written out of order
			id := fmt.Sprintf("INS-%d", i)
			agency := "AG-01"
			if i%2 == 0 {
				agency = "AG-02"
			}
			errs = append(errs,
				tx.PutInspection(sampleInspection(id, a)),
				tx.PutInspection(sampleInspection(id+"-B", b)),
				tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: id, AgencyId: agency, Overall: 3}),
				tx.PutLead(&ruqiv1.Lead{Id: fmt.Sprintf("L-%d", i), Kind: ruqiv1.LeadKind_LEAD_KIND_REFUSAL}),
				tx.PutPlan(&ruqiv1.Plan{Id: fmt.Sprintf("PLAN-%d", i), AgencyId: agency}))
		}
		return errors.Join(errs...)
	})
	type lister func(r store.Reader, p store.Page) ([]string, error)
	lists := map[string]struct {
		list lister
		want string
	}{
		"inspections of a": {func(r store.Reader, p store.Page) ([]string, error) {
			l, err := r.InspectionsOfEnterprise(a, p)
			return keys(l, (*ruqiv1.Inspection).GetId), err
		}, "[INS-1 INS-2 INS-3 INS-4 INS-5 INS-6 INS-7]"},
		"evaluations of AG-01": {func(r store.Reader, p store.Page) ([]string, error) {
			l, err := r.Evaluations("AG-01", p)
			return keys(l, (*ruqiv1.Evaluation).GetInspectionId), err
		}, "[INS-1 INS-3 INS-5 INS-7]"},
		"all evaluations": {func(r store.Reader, p store.Page) ([]string, error) {
			l, err := r.Evaluations("", p)
			return keys(l, (*ruqiv1.Evaluation).GetInspectionId), err
		}, "[INS-1 INS-2 INS-3 INS-4 INS-5 INS-6 INS-7]"},
		"leads": {func(r store.Reader, p store.Page) ([]string, error) {
			l, err := r.Leads(p)
			return keys(l, (*ruqiv1.Lead).GetId), err
		}, "[L-1 L-2 L-3 L-4 L-5 L-6 L-7]"},
		"plans of AG-01": {func(r store.Reader, p store.Page) ([]string, error) {
			l, err := r.Plans("AG-01", p)
			return keys(l, (*ruqiv1.Plan).GetId), err
		}, "[PLAN-1 PLAN-3 PLAN-5 PLAN-7]"},
		"all plans": {func(r store.Reader, p store.Page) ([]string, error) {
			l, err := r.Plans("", p)
			return keys(l, (*ruqiv1.Plan).GetId), err
		}, "[PLAN-1 PLAN-2 PLAN-3 PLAN-4 PLAN-5 PLAN-6 PLAN-7]"},
	}
	err := s.View(ctx, func(r store.Reader) error {
		for name, l := range lists {
			whole, err := l.list(r, store.Page{})
			if err != nil || fmt.Sprint(whole) != l.want {
				return fmt.Errorf("%s, whole: %v, %v; want %s", name, whole, err, l.want)
			}
			var walked []string
			p := store.Page{Limit: 3}
			for pages := 0; ; pages++ {
				page, err := l.list(r, p)
				if err != nil {
					return err
				}
				if len(page) > p.Limit || pages > n {
					return fmt.Errorf("%s: page of %d with limit %d (page %d)", name, len(page), p.Limit, pages)
				}
				walked = append(walked, page...)
				if len(page) < p.Limit {
					break
				}
				p.After = page[len(page)-1]
			}
			if fmt.Sprint(walked) != l.want {
				return fmt.Errorf("%s, paged by 3: %v; want %s", name, walked, l.want)
			}
			// "INS-3a" and "L-3a" sort between the 3rd and 4th records.
			from, err := l.list(r, store.Page{After: whole[2] + "a", Limit: 1})
			if err != nil || len(from) != 1 || from[0] != whole[3] {
				return fmt.Errorf("%s after %sa: %v, %v; want [%s]", name, whole[2], from, err, whole[3])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func keys[T any](list []T, key func(T) string) []string {
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = key(m)
	}
	return out
}

// testWatch: Watch says when it follows changes; with two instances, what
// one changes (an officer's certificate, a token revoked) the other's Watch
// reports by key, which is what keeps replicas' read caches true. A single
// instance (bbolt) sees its own writes and need report nothing.
func testWatch(t *testing.T, stores []store.Store) {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan struct{}, 16)
	changes := make(chan store.Change, 256)
	done := make(chan error, 1)
	go func() {
		done <- stores[0].Watch(wctx, func() { ready <- struct{}{} }, func(c store.Change) {
			if c.Kind != "" {
				changes <- c
			}
		})
	}()
	select {
	case <-ready:
	case <-time.After(time.Minute):
		t.Fatal("Watch never said it follows changes")
	}
	writer := stores[len(stores)-1]
	o := &ruqiv1.Officer{Id: "O-W1", AgencyId: "A-W", Name: "Watch", CertificateNumber: "C-W1",
		CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE}
	tok := &store.AccessToken{ID: "tok-w1", Hash: []byte("0123456789abcdef0123456789abcdef"), Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-W1"}
	update(t, writer, func(tx store.Tx) error {
		if err := tx.PutOfficer(o); err != nil {
			return err
		}
		return tx.PutAccessToken(tok)
	})
	o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED
	tok.RevokedAt = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	update(t, writer, func(tx store.Tx) error {
		if err := tx.PutOfficer(o); err != nil {
			return err
		}
		return tx.PutAccessToken(tok)
	})
	if len(stores) > 1 {
		want := map[store.Change]bool{{Kind: store.KindOfficer, Key: "O-W1"}: true, {Kind: store.KindAccessToken, Key: string(tok.Hash)}: true}
		for len(want) > 0 {
			select {
			case c := <-changes:
				delete(want, c)
			case <-time.After(time.Minute):
				t.Fatalf("changes never reported: %v", want)
			}
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Watch after its context ended: %v", err)
	}
}

// testEnterpriseCodesAndArrivals: an enterprise keeps one code, the latest
// generation (a re-issue replaces it in one write), and an arrival is kept
// per inspection and officer.
func testEnterpriseCodesAndArrivals(t *testing.T, o Opener) {
	s := open(t, o)
	const uscc = "91350100M000100Y43"
	at := time.Unix(300, 0).UTC()
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutEnterpriseCode(&store.EnterpriseCode{USCC: uscc, Generation: 1, TokenID: []byte("cti-1"), KeyID: "k1", Token: "AAAA", IssuedAt: at, By: "system"}),
			tx.PutArrival(&store.Arrival{InspectionID: "INS-1", OfficerID: "O-1", USCC: uscc, At: at, Generation: 1, Scans: 1}),
			tx.PutArrival(&store.Arrival{InspectionID: "INS-1", OfficerID: "O-2", USCC: uscc, At: at.Add(time.Minute), Generation: 1, Scans: 1}),
		)
	})
	update(t, s, func(tx store.Tx) error {
		return tx.PutEnterpriseCode(&store.EnterpriseCode{USCC: uscc, Generation: 2, TokenID: []byte("cti-2"), KeyID: "k1", Token: "BBBB", IssuedAt: at.Add(time.Hour), By: "enterprise:" + uscc})
	})
	err := s.View(ctx, func(r store.Reader) error {
		c, err := r.EnterpriseCode(uscc)
		if err != nil || c.Generation != 2 || string(c.TokenID) != "cti-2" || c.Token != "BBBB" || !c.IssuedAt.Equal(at.Add(time.Hour)) {
			return fmt.Errorf("enterprise code = %+v, %v; want generation 2", c, err)
		}
		if _, err := r.EnterpriseCode("91350100M000200Y38"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("another enterprise's code: %v, want ErrNotFound", err)
		}
		a, err := r.Arrival("INS-1", "O-2")
		if err != nil || a.OfficerID != "O-2" || !a.At.Equal(at.Add(time.Minute)) || a.Generation != 1 {
			return fmt.Errorf("arrival = %+v, %v", a, err)
		}
		if _, err := r.Arrival("INS-1", "O-3"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("arrival of an officer who did not arrive: %v, want ErrNotFound", err)
		}
		if _, err := r.Arrival("INS-2", "O-1"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("arrival for another inspection: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, func(tx store.Tx) error {
		a, err := tx.Arrival("INS-1", "O-1")
		if err != nil {
			return err
		}
		a.Scans++
		return tx.PutArrival(a)
	})
	err = s.View(ctx, func(r store.Reader) error {
		a, err := r.Arrival("INS-1", "O-1")
		if err != nil || a.Scans != 2 || !a.At.Equal(at) {
			return fmt.Errorf("arrival scanned again = %+v, %v; want the first time and 2 scans", a, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testCheckInsOfOfficer: an officer's check-ins walked by time within a
// range, another officer's never; a repeat scan (PutCheckIn again with more
// scans) is still one check-in. A walk stops at ErrStop without an error
// and at any other error with it, and goes past a store's page (more than
// 32 check-ins, some at the same instant) in order.
func testCheckInsOfOfficer(t *testing.T, o Opener) {
	s := open(t, o)
	t0 := time.Unix(1_800_000_000, 0).UTC()
	put := func(tok, officer, uscc string, at time.Time) *store.CheckIn {
		return &store.CheckIn{TokenID: []byte(tok), InspectionID: "INS-" + tok, OfficerID: officer, USCC: uscc, At: at, Scans: 1}
	}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutCheckIn(put("t3", "O-1", "E-B", t0.Add(30*time.Minute))),
			tx.PutCheckIn(put("t1", "O-1", "E-A", t0)),
			tx.PutCheckIn(put("t2", "O-2", "E-A", t0.Add(10*time.Minute))),
			tx.PutCheckIn(put("t4", "O-1", "E-C", t0.Add(2*time.Hour))),
			tx.PutCheckIn(put("t5", "O-10", "E-D", t0.Add(20*time.Minute))),
		)
	})
	// 70 check-ins of O-5, two at each second, their token ids in the
	// opposite order to their times.
	var want []string
	update(t, s, func(tx store.Tx) error {
		for i := range 70 {
			tok := fmt.Sprintf("m%03d", 999-i)
			want = append(want, tok)
			if err := tx.PutCheckIn(put(tok, "O-5", fmt.Sprintf("E-%d", i), t0.Add(time.Duration(i/2)*time.Second))); err != nil {
				return err
			}
		}
		return nil
	})
	// Same second: the index orders by token id.
	for i := 0; i+1 < len(want); i += 2 {
		want[i], want[i+1] = want[i+1], want[i]
	}
	update(t, s, func(tx store.Tx) error {
		ci, err := tx.CheckIn([]byte("t1"))
		if err != nil {
			return err
		}
		ci.Scans++
		return tx.PutCheckIn(ci)
	})
	walk := func(r store.Reader, officer string, from, to time.Time) ([]*store.CheckIn, error) {
		var out []*store.CheckIn
		err := r.CheckInsOfOfficer(officer, from, to, func(ci *store.CheckIn) error {
			out = append(out, ci)
			return nil
		})
		return out, err
	}
	tokens := func(cs []*store.CheckIn) string {
		var toks []string
		for _, ci := range cs {
			toks = append(toks, string(ci.TokenID))
		}
		return strings.Join(toks, ",")
	}
	err := s.View(ctx, func(r store.Reader) error {
		got, err := walk(r, "O-1", t0, t0.Add(2*time.Hour))
		if err != nil {
			return err
		}
		if tokens(got) != "t1,t3" {
			return fmt.Errorf("O-1's check-ins in [t0, t0+2h) = %v, want t1,t3 (by time, the end excluded, O-10 not a prefix match)", tokens(got))
		}
		if got[0].Scans != 2 || got[0].USCC != "E-A" {
			return fmt.Errorf("first check-in = %+v, want the repeat-scanned one at E-A", got[0])
		}
		if none, err := walk(r, "O-3", t0, t0.Add(24*time.Hour)); err != nil || len(none) != 0 {
			return fmt.Errorf("an officer without check-ins: %v, %v", tokens(none), err)
		}
		if many, err := walk(r, "O-5", t0, t0.Add(time.Hour)); err != nil || tokens(many) != strings.Join(want, ",") {
			return fmt.Errorf("70 check-ins walked: %v, %v; want %v", tokens(many), err, want)
		}
		// From the 34th second on: its two check-ins only.
		if tail, err := walk(r, "O-5", t0.Add(34*time.Second), t0.Add(time.Hour)); err != nil || tokens(tail) != strings.Join(want[68:], ",") {
			return fmt.Errorf("check-ins from 34 s: %v, %v; want %v", tokens(tail), err, want[68:])
		}
		var seen int
		err = r.CheckInsOfOfficer("O-5", t0, t0.Add(time.Hour), func(ci *store.CheckIn) error {
			seen++
			if seen == 40 {
				return store.ErrStop
			}
			return nil
		})
		if err != nil || seen != 40 {
			return fmt.Errorf("ErrStop at the 40th: walked %d, %v; want 40 and no error", seen, err)
		}
		boom := errors.New("boom")
		seen = 0
		err = r.CheckInsOfOfficer("O-1", t0, t0.Add(2*time.Hour), func(ci *store.CheckIn) error {
			seen++
			return boom
		})
		if !errors.Is(err, boom) || seen != 1 {
			return fmt.Errorf("fn's error: walked %d, returned %v; want 1 and boom", seen, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Matching (拼团): coverages keyed by agency and plan (two agencies may use
// one plan id), proposals listed by id and under each member agency, a
// rewrite of a proposal replacing it without doubling its index entries.
func testMatchingRecords(t *testing.T, o Opener) {
	s := open(t, o)
	proposal := func(id string, agencies ...string) *ruqiv1.JointVisitProposal {
		p := &ruqiv1.JointVisitProposal{Id: id, EnterpriseUscc: "91350100M000100Y43", LeadAgencyId: agencies[0], State: ruqiv1.ProposalState_PROPOSAL_STATE_OPEN}
		for _, a := range agencies {
			p.Members = append(p.Members, &ruqiv1.ProposalMember{AgencyId: a, PlanId: "PLAN-1"})
		}
		return p
	}
	update(t, s, func(tx store.Tx) error {
		return errors.Join(
			tx.PutPlanCoverage(&ruqiv1.PlanCoverage{PlanId: "PLAN-1", AgencyId: "AG-02", EnterpriseUsccs: []string{"E2"}}),
			tx.PutPlanCoverage(&ruqiv1.PlanCoverage{PlanId: "PLAN-1", AgencyId: "AG-01", EnterpriseUsccs: []string{"E1"}}),
			tx.PutProposal(proposal("MAT-2", "AG-02", "AG-03")),
			tx.PutProposal(proposal("MAT-1", "AG-01", "AG-02")),
		)
	})
	// An answer rewrites the proposal.
	update(t, s, func(tx store.Tx) error {
		p := proposal("MAT-1", "AG-01", "AG-02")
		p.Members[1].Answer = ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED
		return errors.Join(tx.PutProposal(p),
			tx.PutPlanCoverage(&ruqiv1.PlanCoverage{PlanId: "PLAN-1", AgencyId: "AG-01", EnterpriseUsccs: []string{"E1", "E3"}}))
	})
	err := s.View(ctx, func(r store.Reader) error {
		c, err := r.PlanCoverage(store.CoverageKey("AG-01", "PLAN-1"))
		if err != nil || len(c.GetEnterpriseUsccs()) != 2 {
			return fmt.Errorf("coverage AG-01/PLAN-1 = %v, %v", c, err)
		}
		if _, err := r.PlanCoverage(store.CoverageKey("AG-03", "PLAN-1")); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("unknown coverage: %v", err)
		}
		all, err := r.PlanCoverages(store.Page{})
		if err != nil || len(all) != 2 || all[0].GetAgencyId() != "AG-01" {
			return fmt.Errorf("coverages = %v, %v", all, err)
		}
		if page, err := r.PlanCoverages(store.Page{After: store.CoverageKey("AG-01", "PLAN-1")}); err != nil || len(page) != 1 || page[0].GetAgencyId() != "AG-02" {
			return fmt.Errorf("coverages after AG-01's = %v, %v", page, err)
		}
		p, err := r.Proposal("MAT-1")
		if err != nil || p.GetMembers()[1].GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED {
			return fmt.Errorf("proposal MAT-1 = %v, %v", p, err)
		}
		if _, err := r.Proposal("MAT-9"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("unknown proposal: %v", err)
		}
		ps, err := r.Proposals(store.Page{})
		if got := keys(ps, (*ruqiv1.JointVisitProposal).GetId); err != nil || strings.Join(got, ",") != "MAT-1,MAT-2" {
			return fmt.Errorf("proposals = %v, %v", got, err)
		}
		for agency, want := range map[string]string{"AG-01": "MAT-1", "AG-02": "MAT-1,MAT-2", "AG-03": "MAT-2", "AG-04": ""} {
			ps, err := r.ProposalsOfAgency(agency, store.Page{})
			if got := keys(ps, (*ruqiv1.JointVisitProposal).GetId); err != nil || strings.Join(got, ",") != want {
				return fmt.Errorf("proposals of %s = %v, %v; want %s", agency, got, err, want)
			}
		}
		ps, err = r.ProposalsOfAgency("AG-02", store.Page{After: "MAT-1", Limit: 5})
		if got := keys(ps, (*ruqiv1.JointVisitProposal).GetId); err != nil || strings.Join(got, ",") != "MAT-2" {
			return fmt.Errorf("AG-02's proposals after MAT-1 = %v, %v", got, err)
		}
		held, err := r.ProposalsOf([]string{"MAT-2", "MAT-9", "MAT-1"})
		if err != nil || len(held) != 2 || held["MAT-1"].GetId() != "MAT-1" || held["MAT-2"].GetId() != "MAT-2" {
			return fmt.Errorf("proposals of MAT-2, MAT-9 and MAT-1 = %v, %v; want the two held, by id", held, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
