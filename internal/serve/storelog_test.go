package serve

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The position a replica reports to Redis (Head) and the one it checks a
// report against (HashAt) name one event alike, on both stores, sealed
// blocks included: were they to differ, a healthy store would have its
// coordinator's states dropped at every report.
func TestStoreLog_HeadAndHashAtAgree(t *testing.T) {
	ctx := context.Background()
	b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pg, err := postgres.Open(ctx, pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for name, st := range map[string]store.Store{"bolt": b, "postgres": pg} {
		l := storeLog{st}
		if seq, hash, err := l.Head(ctx); err != nil || seq != 0 || hash != nil {
			t.Fatalf("%s, empty: head %d %x %v", name, seq, hash, err)
		}
		for round := range 3 {
			err := st.Update(ctx, func(tx store.Tx) error {
				for i := range 70 {
					e := &ruqiv1.Event{Time: timestamppb.New(time.Date(2026, 12, 5, 9, round, i%60, 0, time.UTC)), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED,
						InspectionId: fmt.Sprintf("INS-%d-%d", round, i), EnterpriseUscc: "91350100M000100Y43"}
					if err := tx.AppendEvent(e); err != nil {
						return err
					}
				}
				if round == 1 { // seal what is there (bbolt's blocks)
					seq, _, err := tx.Head()
					if err != nil {
						return err
					}
					return tx.SealEvents(seq)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.WaitSequenced(ctx); err != nil {
				t.Fatal(err)
			}
			seq, hash, err := l.Head(ctx)
			if err != nil || seq == 0 {
				t.Fatalf("%s: head %d %v", name, seq, err)
			}
			at, err := l.HashAt(ctx, seq)
			if err != nil || !bytes.Equal(at, hash) || len(hash) == 0 {
				t.Fatalf("%s, round %d: head %d has hash %x, HashAt says %x (%v)", name, round, seq, hash, at, err)
			}
			if past, err := l.HashAt(ctx, seq+1); err != nil || past != nil {
				t.Fatalf("%s: HashAt past the head: %x %v", name, past, err)
			}
		}
	}
}

// PostgreSQL refusing the login or lacking the database names what in
// -store to mend, without the password; pgx's words ("failed SASL auth")
// named no flag (an operator's trial, 2026-12-07).
func TestOpenStore_PostgresRefusalNamesTheFlag(t *testing.T) {
	srv := pgtest.Start(t)
	good := srv.URL("postgres")
	for _, c := range []struct{ name, url, want string }{
		{"no such user", strings.Replace(good, "postgres@", "nobody:s3cret@", 1), "refused the login"},
		{"no such database", strings.Replace(good, "/postgres?", "/nodb?", 1), "no such database"},
	} {
		st, err := openStore(context.Background(), Config{DataDir: t.TempDir(), Store: c.url})
		if err == nil {
			st.Close()
			t.Errorf("%s: opened", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "-store") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v; want %q, the flag named and no password", c.name, err, c.want)
		}
	}
}
