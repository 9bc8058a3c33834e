package inspection_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// benchInspections is how many completed inspections BenchmarkCheckRecords
// checks: each has a registration, a code, a result and a completion, and
// every other one an evaluation: 3.5 records checked and 5.5 events each.
const benchInspections = 20_000

// BenchmarkCheckRecords times `admin events verify`'s check of the records
// against their events (CheckRecords) on both stores, and the walk of the
// events alone. On PostgreSQL it
// also counts the statements the check ran (pg_stat_statements, events'
// pages, BEGIN and COMMIT included) per record checked: the walk read each
// record in a query of its own until 2026-12-06.
//
//	CI=true go test ./internal/inspection/ -run '^$' -bench CheckRecords -benchtime 5x
func BenchmarkCheckRecords(b *testing.B) {
	b.Run("store=bolt", func(b *testing.B) {
		st, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		want := fillRecords(b, st)
		b.Run("check", func(b *testing.B) { benchCheck(b, st, want, nil) })
		b.Run("walk", func(b *testing.B) { benchWalk(b, st) })
	})
	b.Run("store=postgres", func(b *testing.B) {
		srv := pgtest.Start(b)
		// pg_stat_statements is loaded at start only.
		srv.Exec(b, "postgres", "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
		srv.Kill()
		srv.Restart()
		dbURL := srv.NewDatabase(b)
		u, err := url.Parse(dbURL)
		if err != nil {
			b.Fatal(err)
		}
		srv.Exec(b, strings.TrimPrefix(u.Path, "/"), "CREATE EXTENSION pg_stat_statements")
		ctx := context.Background()
		st, err := postgres.Open(ctx, dbURL, postgres.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		want := fillRecords(b, st)
		if err := st.WaitSequenced(ctx); err != nil {
			b.Fatal(err)
		}
		st.Close()
		// Read by a store without a sequencer, so that only the check's
		// statements are counted.
		o := postgres.DefaultOptions()
		o.NoSequencer = true
		if st, err = postgres.Open(ctx, dbURL, o); err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		b.Run("check", func(b *testing.B) { benchCheck(b, st, want, conn) })
		b.Run("walk", func(b *testing.B) { benchWalk(b, st) })
	})
}

// benchCheck runs CheckRecords b.N times; with conn, it counts the
// statements PostgreSQL ran meanwhile.
func benchCheck(b *testing.B, st store.Store, want uint64, conn *pgx.Conn) {
	ctx := context.Background()
	if conn != nil {
		if _, err := conn.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		err := st.View(ctx, func(r store.Reader) error {
			rep, err := inspection.CheckRecords(r, nil)
			if err == nil && (rep.Checked != want || len(rep.Differing) != 0) {
				err = fmt.Errorf("checked %d with %d differing, want %d and none", rep.Checked, len(rep.Differing), want)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	records := float64(b.N) * float64(want)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	if conn == nil {
		return
	}
	rows, err := conn.Query(ctx, `SELECT calls, left(regexp_replace(query, '\s+', ' ', 'g'), 70) FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
		ORDER BY calls DESC`)
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	var lines []string
	for rows.Next() {
		var calls int64
		var q string
		if err := rows.Scan(&calls, &q); err != nil {
			b.Fatal(err)
		}
		total += calls
		lines = append(lines, fmt.Sprintf("%9d  %s", calls, q))
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d checks of %d records: statements\n%s", b.N, want, strings.Join(lines, "\n"))
	b.ReportMetric(float64(total)/records, "queries/record")
}

// benchWalk walks the events alone, as CheckRecords does: what the check
// cannot take less than.
func benchWalk(b *testing.B, st store.Store) {
	for range b.N {
		n := 0
		err := st.View(context.Background(), func(r store.Reader) error {
			return r.Events(0, func(*ruqiv1.Event) error { n++; return nil })
		})
		if err != nil || n == 0 {
			b.Fatal(n, err)
		}
	}
}

// fillRecords writes benchInspections completed inspections with their
// events, as the service would have, and returns how many records
// CheckRecords checks of them.
func fillRecords(b *testing.B, st store.Store) uint64 {
	const uscc = "91510104CY4C7RGWMR"
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var records uint64
	for from := 0; from < benchInspections; from += 500 {
		n := uint64(0)
		err := st.Update(context.Background(), func(tx store.Tx) error {
			n = 0
			for i := from; i < min(from+500, benchInspections); i++ {
				id := fmt.Sprintf("INS-%07d", i)
				start := at.Add(time.Duration(i) * time.Minute)
				res := &ruqiv1.InspectionResult{Summary: "现场检查，未发现问题", Items: []*ruqiv1.ItemResult{
					{CheckItemId: "IT-1", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
					{CheckItemId: "IT-2", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, Note: "灭火器过期",
						RectificationDeadline: timestamppb.New(start.Add(240 * time.Hour))}}}
				ins := &ruqiv1.Inspection{Id: id, AgencyId: "AG-1", EnterpriseUscc: uscc, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
					OfficerIds: []string{"O-1", "O-2"}, CheckItemIds: []string{"IT-1", "IT-2"}, Reason: "日常检查",
					WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
					State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, Result: res}
				if err := tx.PutInspection(ins); err != nil {
					return err
				}
				evs := []*ruqiv1.Event{
					{Type: ruqiv1.EventType_EVENT_TYPE_REGISTERED, Detail: inspection.RegistrationDetail(ins)},
					{Type: ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED, Detail: "O-1"},
					{Type: ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED, Detail: inspection.ResultDetail(res)},
				}
				if i%2 == 0 {
					ev := &ruqiv1.Evaluation{InspectionId: id, AgencyId: "AG-1", EnterpriseUscc: uscc, CertificateShown: true,
						RightsExplained: true, ConductedProperly: true, Overall: 5, At: timestamppb.New(start.Add(3 * time.Hour))}
					if err := tx.PutEvaluation(ev); err != nil {
						return err
					}
					evs = append(evs, &ruqiv1.Event{Type: ruqiv1.EventType_EVENT_TYPE_EVALUATED, Detail: inspection.EvaluationDetail(ev)})
				}
				evs = append(evs, &ruqiv1.Event{Type: ruqiv1.EventType_EVENT_TYPE_COMPLETED})
				for k, e := range evs {
					e.Time, e.Actor, e.InspectionId, e.EnterpriseUscc = timestamppb.New(start.Add(time.Duration(k)*time.Minute)), "officer:O-1", id, uscc
					if err := tx.AppendEvent(e); err != nil {
						return err
					}
					if e.GetType() != ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED {
						n++
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		records += n
	}
	return records
}
