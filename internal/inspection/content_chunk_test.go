package inspection

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// CheckRecords reads its records a chunk of events at a time
// (2026-12-06); what it finds must be what reading them one by one found,
// on logs of many chunks where an inspection's events straddle chunks:
// results recorded again (with content, without, matching or not),
// records rewritten or missing, cancellations undone, a district's view.
func TestCheckRecords_ChunksFindWhatOneByOneFound(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			st, err := bolt.Open(filepath.Join(t.TempDir(), "chunks.db"), bolt.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			rnd := rand.New(rand.NewPCG(seed, 2026))
			// Fewer tamperings with some seeds, so that both a report
			// under maxDifferences and a truncated one are compared.
			tamper := []float64{0.002, 0.01, 0.05, 0.2, 0.02, 0.005}[seed]
			events := randomLog(t, st, rnd, tamper)
			within := map[string]func(*ruqiv1.Event) bool{
				"all":      nil,
				"district": func(e *ruqiv1.Event) bool { return e.GetEnterpriseUscc() == usccs[0] },
			}
			for name, w := range within {
				var got, want RecordReport
				err := st.View(context.Background(), func(r store.Reader) error {
					var err error
					if got, err = CheckRecords(r, w); err != nil {
						return err
					}
					want, err = checkRecordsOneByOne(r, w)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: in chunks %+v\none by one %+v", name, got, want)
				}
				if want.Checked < recordChunk {
					t.Errorf("%s: %d records checked of %d events: fewer than a chunk", name, want.Checked, events)
				}
				t.Logf("%s: %d events, %d records checked, %d differing", name, events, want.Checked, len(want.Differing))
			}
		})
	}
}

var usccs = []string{"91510104CY4C7RGWMR", "91350100M000100Y43"}

// randomLog writes 600 inspections' records and events, interleaved, and
// returns how many events.
func randomLog(t *testing.T, st store.Store, rnd *rand.Rand, tamper float64) int {
	t.Helper()
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	type step struct {
		e      *ruqiv1.Event
		record func(store.Tx) error
	}
	var lanes [][]step
	for i := range 600 {
		id := fmt.Sprintf("INS-%04d", i)
		uscc := usccs[rnd.IntN(len(usccs))]
		result := func() *ruqiv1.InspectionResult {
			return &ruqiv1.InspectionResult{Summary: fmt.Sprint("现场检查 ", rnd.IntN(3)), Items: []*ruqiv1.ItemResult{
				{CheckItemId: "IT-1", Outcome: ruqiv1.ItemOutcome(1 + rnd.IntN(4)), Note: fmt.Sprint(rnd.IntN(2))}}}
		}
		ins := &ruqiv1.Inspection{Id: id, AgencyId: "AG-1", EnterpriseUscc: uscc, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			OfficerIds: []string{"O-1"}, CheckItemIds: []string{"IT-1"}, Reason: "日常检查",
			WindowStart: timestamppb.New(at), WindowEnd: timestamppb.New(at.Add(time.Hour)),
			State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED}
		var lane []step
		add := func(typ ruqiv1.EventType, detail string) {
			lane = append(lane, step{e: &ruqiv1.Event{Type: typ, Detail: detail, InspectionId: id, EnterpriseUscc: uscc}})
		}
		switch {
		case rnd.IntN(10) == 0: // as a server before 2026-12-06 wrote it
			add(ruqiv1.EventType_EVENT_TYPE_REGISTERED, ins.GetType().String())
		case rnd.Float64() < tamper: // no record: what a missing record reads as, and not
			add(ruqiv1.EventType_EVENT_TYPE_REGISTERED, RegistrationDetail(nil))
			add(ruqiv1.EventType_EVENT_TYPE_REGISTERED, RegistrationDetail(ins))
			add(ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED, ResultDetail(result()))
			add(ruqiv1.EventType_EVENT_TYPE_EVALUATED, EvaluationDetail(nil))
			add(ruqiv1.EventType_EVENT_TYPE_COMPLETED, "")
			lanes = append(lanes, lane)
			continue
		default:
			add(ruqiv1.EventType_EVENT_TYPE_REGISTERED, RegistrationDetail(ins))
		}
		if rnd.Float64() < tamper {
			ins.Reason = "改过"
		}
		add(ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED, "O-1")
		for range rnd.IntN(4) { // results, each the record's at its time
			res := result()
			if rnd.IntN(6) == 0 {
				add(ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED, "NO_PROBLEM") // no content
			} else {
				add(ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED, ResultDetail(res))
			}
			ins.Result = res
		}
		if ins.Result != nil && rnd.Float64() < tamper {
			ins.Result = result()
		}
		ev := &ruqiv1.Evaluation{InspectionId: id, AgencyId: "AG-1", EnterpriseUscc: uscc, Overall: int32(1 + rnd.IntN(5))}
		if rnd.IntN(2) == 0 {
			add(ruqiv1.EventType_EVENT_TYPE_EVALUATED, EvaluationDetail(ev))
			if rnd.Float64() < tamper {
				ev = &ruqiv1.Evaluation{InspectionId: id, AgencyId: "AG-1", Overall: 1 + ev.GetOverall()%5}
			}
			if rnd.Float64() >= tamper {
				lane[len(lane)-1].record = func(tx store.Tx) error { return tx.PutEvaluation(ev) }
			}
		}
		switch rnd.IntN(3) {
		case 0:
			add(ruqiv1.EventType_EVENT_TYPE_CANCELLED, "")
			ins.State = ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED
		case 1:
			add(ruqiv1.EventType_EVENT_TYPE_COMPLETED, "")
			ins.State = ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
		}
		if rnd.Float64() < tamper {
			ins.State = ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED
		}
		lane[0].record = func(tx store.Tx) error { return tx.PutInspection(ins) }
		lanes = append(lanes, lane)
	}
	// Interleaved, each inspection's events in their order.
	var log []step
	for len(lanes) > 0 {
		k := rnd.IntN(min(len(lanes), 40))
		log = append(log, lanes[k][0])
		if lanes[k] = lanes[k][1:]; len(lanes[k]) == 0 {
			lanes = append(lanes[:k], lanes[k+1:]...)
		}
	}
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for i, s := range log {
			s.e.Time, s.e.Actor = timestamppb.New(at.Add(time.Duration(i)*time.Second)), "officer:O-1"
			if err := tx.AppendEvent(s.e); err != nil {
				return err
			}
			if s.record != nil {
				if err := s.record(tx); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(log)
}

// checkRecordsOneByOne is CheckRecords as it was until 2026-12-06: one read
// per event.
func checkRecordsOneByOne(r store.Reader, within func(*ruqiv1.Event) bool) (RecordReport, error) {
	var rep RecordReport
	// Results differing so far, by inspection: a later result event that
	// matches clears its entry.
	resultDiffers := map[string]RecordDifference{}
	var other []RecordDifference
	err := r.Events(0, func(e *ruqiv1.Event) error {
		if within != nil && !within(e) {
			return nil
		}
		// A cancellation and a closing are for good: the record must say
		// so still (a trial of replicas, 2026-12-06: one UPDATE brought a
		// cancelled inspection back, and its codes scanned valid).
		if want, ok := finalState[e.GetType()]; ok {
			ins, err := r.Inspection(e.GetInspectionId())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			rep.Checked++
			if ins.GetState() != want && len(other) < maxDifferences {
				other = append(other, RecordDifference{Seq: e.GetSeq(), Type: e.GetType(), InspectionID: e.GetInspectionId()})
			}
			return nil
		}
		if !hasContent(e) {
			// A result recorded again by a server before 2026-12-06 says no
			// content: the latest result cannot be checked, and the one
			// before it is not held against the record (a review).
			if e.GetType() == ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED {
				delete(resultDiffers, e.GetInspectionId())
			}
			return nil
		}
		var want string
		switch e.GetType() {
		case ruqiv1.EventType_EVENT_TYPE_REGISTERED, ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED:
			ins, err := r.Inspection(e.GetInspectionId())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			switch {
			case ins == nil:
			case e.GetType() == ruqiv1.EventType_EVENT_TYPE_REGISTERED:
				want = RegistrationDetail(ins)
			case ins.GetResult() != nil:
				want = ResultDetail(ins.GetResult())
			}
		case ruqiv1.EventType_EVENT_TYPE_EVALUATED:
			ev, err := r.Evaluation(e.GetInspectionId())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if ev != nil {
				want = EvaluationDetail(ev)
			}
		}
		rep.Checked++
		diff := RecordDifference{Seq: e.GetSeq(), Type: e.GetType(), InspectionID: e.GetInspectionId()}
		switch {
		case e.GetType() == ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED && want == e.GetDetail():
			delete(resultDiffers, e.GetInspectionId())
		case e.GetType() == ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED:
			resultDiffers[e.GetInspectionId()] = diff
		case want != e.GetDetail() && len(other) < maxDifferences:
			other = append(other, diff)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	rep.Differing = other
	for _, d := range resultDiffers {
		rep.Differing = append(rep.Differing, d)
	}
	slices.SortFunc(rep.Differing, func(a, b RecordDifference) int { return cmp.Compare(a.Seq, b.Seq) })
	if len(rep.Differing) > maxDifferences {
		rep.Differing = rep.Differing[:maxDifferences]
	}
	return rep, nil
}
