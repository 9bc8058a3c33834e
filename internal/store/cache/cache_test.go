package cache_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/cache"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var ctx = context.Background()

// A TTL far beyond any test: what a test sees change, it sees because the
// change was invalidated, not because the entry expired.
const longTTL = time.Hour

func openBolt(t *testing.T) store.Store {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	o := postgres.DefaultOptions()
	o.SequenceInterval = 20 * time.Millisecond
	db, err := postgres.Open(ctx, url, o)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func wrap(t *testing.T, db store.Store) *cache.Store {
	t.Helper()
	c := cache.New(db, cache.Options{TTL: longTTL})
	t.Cleanup(func() { c.Close() })
	waitReady(t, c)
	return c
}

func waitReady(t *testing.T, c *cache.Store) {
	t.Helper()
	for i := 0; !c.Ready(); i++ {
		if i > 6000 {
			t.Fatal("the cache never started serving")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func update(t *testing.T, s store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

var (
	token = &store.AccessToken{ID: "tok-c1", Hash: []byte("hash-of-a-token-0123456789abcdef"), Role: ruqiv1.Role_ROLE_ENTERPRISE,
		Subject: "91510100MA61234567", CreatedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	officer = &ruqiv1.Officer{Id: "O-C1", AgencyId: "A-C", Name: "缓存", CertificateNumber: "C-C1",
		CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE}
)

func seed(t *testing.T, s store.Store) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		if err := tx.PutAccessToken(token); err != nil {
			return err
		}
		return tx.PutOfficer(officer)
	})
}

func readOfficer(t *testing.T, s store.Store) *ruqiv1.Officer {
	t.Helper()
	var o *ruqiv1.Officer
	if err := s.View(ctx, func(r store.Reader) error {
		var err error
		o, err = r.Officer(officer.GetId())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return o
}

func readToken(t *testing.T, c *cache.Store) *store.AccessToken {
	t.Helper()
	tok, err := c.AccessToken(ctx, token.Hash)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// held checks that a second read is served from memory: the cache is in
// use, so that a change seen afterwards was invalidated, not missed by a
// cache that holds nothing.
func held(t *testing.T, c *cache.Store, read func()) {
	t.Helper()
	read()
	before := c.Stats().Hits
	read()
	if c.Stats().Hits == before {
		t.Fatal("a second read was not served from the cache")
	}
}

func revoke(t *testing.T, s store.Store) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		tok, err := tx.AccessToken(token.Hash)
		if err != nil {
			return err
		}
		tok.RevokedAt = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
		return tx.PutAccessToken(tok)
	})
}

func suspend(t *testing.T, s store.Store) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		o, err := tx.Officer(officer.GetId())
		if err != nil {
			return err
		}
		o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED
		return tx.PutOfficer(o)
	})
}

// testInProcess: a change made through the cache is seen by the very next
// read, and a record read in memory cannot be changed by its reader.
func testInProcess(t *testing.T, c *cache.Store) {
	seed(t, c)
	held(t, c, func() { readToken(t, c) })
	held(t, c, func() { readOfficer(t, c) })

	// A caller that changes what it read changes its copy only.
	o := readOfficer(t, c)
	o.Name = "changed by a reader"
	if got := readOfficer(t, c).GetName(); got != officer.GetName() {
		t.Fatalf("a reader's change reached the cache: %q", got)
	}

	revoke(t, c)
	if readToken(t, c).RevokedAt.IsZero() {
		t.Fatal("a revoked token is still served as valid")
	}
	suspend(t, c)
	if got := readOfficer(t, c).GetCertificateStatus(); got != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED {
		t.Fatalf("certificate status after suspension: %v", got)
	}
	// Read inside the writing transaction, before commit: its own write.
	update(t, c, func(tx store.Tx) error {
		o, err := tx.Officer(officer.GetId())
		if err != nil {
			return err
		}
		o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED
		if err := tx.PutOfficer(o); err != nil {
			return err
		}
		if o, err = tx.Officer(officer.GetId()); err != nil {
			return err
		}
		if o.GetCertificateStatus() != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED {
			t.Errorf("a transaction does not read its own write: %v", o.GetCertificateStatus())
		}
		return nil
	})
	// A transaction that fails writes nothing, and leaves nothing stale.
	boom := errors.New("boom")
	if err := c.Update(ctx, func(tx store.Tx) error {
		o, err := tx.Officer(officer.GetId())
		if err != nil {
			return err
		}
		o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE
		if err := tx.PutOfficer(o); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := readOfficer(t, c).GetCertificateStatus(); got != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED {
		t.Fatalf("certificate status after a failed update: %v", got)
	}
	// A deleted token (an ended sign-in, a week on) is gone from memory
	// too.
	held(t, c, func() { readToken(t, c) })
	update(t, c, func(tx store.Tx) error { return tx.DeleteAccessToken(token.Hash) })
	if _, err := c.AccessToken(ctx, token.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted token read through the cache: %v, want not found", err)
	}
}

func TestInvalidationBolt(t *testing.T) {
	testInProcess(t, wrap(t, openBolt(t)))
}

func TestInvalidationPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	testInProcess(t, wrap(t, openPostgres(t, srv.NewDatabase(t))))
}

// TestInvalidationAcrossReplicas: two replicas on one PostgreSQL, each with
// its cache. What one changes, the other stops serving once the
// notification arrives (its TTL is an hour: nothing else can drop it).
func TestInvalidationAcrossReplicas(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	a := wrap(t, openPostgres(t, url))
	b := wrap(t, openPostgres(t, url))
	seed(t, a)
	held(t, b, func() { readToken(t, b) })
	held(t, b, func() { readOfficer(t, b) })

	revoke(t, a)
	eventually(t, "the revoked token at the other replica", func() bool { return !readToken(t, b).RevokedAt.IsZero() })
	suspend(t, a)
	eventually(t, "the suspended certificate at the other replica", func() bool {
		return readOfficer(t, b).GetCertificateStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED
	})
	held(t, b, func() { readToken(t, b) })
	update(t, a, func(tx store.Tx) error { return tx.DeleteAccessToken(token.Hash) })
	eventually(t, "the deleted token gone at the other replica", func() bool {
		_, err := b.AccessToken(ctx, token.Hash)
		return errors.Is(err, store.ErrNotFound)
	})
}

// TestLostNotifications: when the replica's listening connection is
// killed, changes may be missed: it forgets everything it holds (and
// serves nothing from memory until listening again), then serves anew.
func TestLostNotifications(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	a := wrap(t, openPostgres(t, url))
	seed(t, a)
	held(t, a, func() { readToken(t, a) })
	if a.Stats().Entries == 0 {
		t.Fatal("nothing held")
	}
	before := a.Stats().Invalidations
	srv.Exec(t, "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'ruqi cache %'")
	eventually(t, "the cache emptied after its connection was lost", func() bool { return a.Stats().Invalidations > before })
	waitReady(t, a)
	held(t, a, func() { readToken(t, a) })
}

// eventually polls until cond holds; the minute is a deadline against a
// hung test, not a measurement.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUpdateReadsTokensAndUncachedFromTheTransaction: within Update, an
// access token and whatever is read through store.Uncached come from the
// transaction, even while memory holds an older copy (here: the database
// changed behind the cache's back, as another replica's write does before
// its notification arrives); other reads may still be served from memory.
func TestUpdateReadsTokensAndUncachedFromTheTransaction(t *testing.T) {
	db := openBolt(t)
	c := wrap(t, db)
	seed(t, c)
	held(t, c, func() { readToken(t, c) })
	held(t, c, func() { readOfficer(t, c) })
	// Behind the cache: no drop.
	update(t, db, func(tx store.Tx) error {
		tok := *token
		tok.RevokedAt = token.CreatedAt.Add(time.Hour)
		if err := tx.PutAccessToken(&tok); err != nil {
			return err
		}
		o := proto.Clone(officer).(*ruqiv1.Officer)
		o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED
		return tx.PutOfficer(o)
	})
	update(t, c, func(tx store.Tx) error {
		tok, err := tx.AccessToken(token.Hash)
		if err != nil || tok.RevokedAt.IsZero() {
			t.Errorf("token in Update: %+v, %v; want the revoked one from the transaction", tok, err)
		}
		o, err := store.Uncached(tx).Officer(officer.GetId())
		if err != nil || o.GetCertificateStatus() != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED {
			t.Errorf("uncached officer in Update: %v, %v; want the suspended one", o, err)
		}
		// The cached read: what memory holds (within the TTL).
		if o, err := tx.Officer(officer.GetId()); err != nil || o.GetCertificateStatus() != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE {
			t.Errorf("cached officer in Update: %v, %v; want the copy in memory", o, err)
		}
		return nil
	})
}

// TestUpdateCountsWhereTheEnterpriseIs: a registration on one replica counts
// its plan under the enterprise's region while an import on another moves
// the enterprise and marks its standing plans with the region they were
// counted in (inspection.EnterpriseMoving). The registration's read of the
// enterprise must be part of its transaction, so that PostgreSQL's
// SERIALIZABLE sees the two conflict and runs the registration again: read
// from memory, it committed a plan counted under the old region that the
// import did not mark (ARCHITECTURE.md, "Counts stay where they were
// counted").
func TestUpdateCountsWhereTheEnterpriseIs(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	a := wrap(t, openPostgres(t, url))
	b := wrap(t, openPostgres(t, url))
	const uscc = "91510100MA61234567"
	update(t, a, func(tx store.Tx) error {
		return tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: uscc, Name: "缓存", RegionCode: "510104"})
	})
	held(t, a, func() {
		if err := a.View(ctx, func(r store.Reader) error { _, err := r.Enterprise(uscc); return err }); err != nil {
			t.Fatal(err)
		}
	})

	started, moved := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(moved)
		<-started
		// The import: the enterprise's standing plans, then its new region.
		if err := b.Update(ctx, func(tx store.Tx) error {
			plans, err := tx.InspectionsOfEnterprise(uscc, store.Page{Limit: 10})
			if err != nil {
				return err
			}
			if len(plans) != 0 {
				return errors.New("the import saw the registration's plan: no conflict to test")
			}
			return tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: uscc, Name: "缓存", RegionCode: "510105"})
		}); err != nil {
			t.Error(err)
		}
	}()
	var counted []string
	update(t, a, func(tx store.Tx) error {
		ent, err := tx.Enterprise(uscc)
		if err != nil {
			return err
		}
		counted = append(counted, ent.GetRegionCode())
		if len(counted) == 1 {
			close(started)
			<-moved
		}
		return tx.PutInspection(&ruqiv1.Inspection{Id: "INS-20261204-CACHE", EnterpriseUscc: uscc, AgencyId: "A-C"})
	})
	<-moved
	if last := counted[len(counted)-1]; last != "510105" {
		t.Fatalf("the registration counted under %s (runs: %v) after the import moved the enterprise to 510105 without marking its plan", last, counted)
	}
}
