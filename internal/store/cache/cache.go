// Package cache keeps the records that nearly every call reads and that
// rarely change in memory: access tokens (token → principal on every call),
// officers, enterprises, check items and agencies (every scan reads the
// officer, the enterprise and the checklist). It wraps a store.Store and
// serves those reads without reading the database, within View and Update;
// within Update, access tokens and enterprises are the exceptions (below).
//
// Invalidation:
//   - in this process, at once: a transaction that writes one of these
//     records drops it from the cache when Update returns (before the
//     caller learns that the write committed), and a read that started
//     before the drop never fills the cache with what it read (a
//     generation counter, bumped by every drop, is checked under a lock);
//   - from other processes (replicas on PostgreSQL), by the store's Watch:
//     the triggers of migration 00008 send each changed key at commit
//     (LISTEN/NOTIFY); while the notifications are not being received (at
//     start, after a lost connection) the cache is bypassed and emptied;
//   - whatever happens, an entry is dropped TTL after it was read from the
//     database: the bound on staleness if a notification is lost without
//     the connection failing (docs/SECURITY.md).
//
// Within Update an access token is read from the transaction, never from
// memory: a token read there is being spent or changed (an enrolment code
// redeemed once, a token revoked), and a copy from memory can be older
// than a write that committed in the same group, or on another replica,
// and not yet dropped: phones redeemed one enrolment code sixteen times
// that way. The authentication of every call reads tokens outside any
// transaction (Store.AccessToken) and keeps the cache.
//
// Within Update an enterprise is read from the transaction too: a write
// counts its plans under the enterprise's region, and an import that moves
// the enterprise marks the plans it finds with the region they were counted
// in (inspection.EnterpriseMoving). A copy from memory is not part of the
// transaction, so PostgreSQL did not see a registration on one replica
// conflict with an import on another, and a plan counted under the old
// region went unmarked; bbolt's group commit could run a write after the
// import committed and before its drop. Views (what a scan shows, the
// handler's checks) keep the cache.
//
// Reads served from the cache are not part of the transaction's snapshot:
// on PostgreSQL, SERIALIZABLE does not see them as read. A scan that
// checks an officer's certificate while another replica suspends it may
// use the status from just before (the notification's delay, milliseconds).
package cache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Options bound the cache.
type Options struct {
	// Size is the most records held (all kinds together); 0 for 100,000.
	Size int
	// TTL is the longest a record is served from memory after it was
	// read from the database; 0 for 5 s.
	TTL time.Duration
	// Now is the clock, for tests; nil for time.Now.
	Now func() time.Time
}

// Stats are the cache's counters since it was made, for /metrics.
type Stats struct {
	Hits, Misses, Invalidations uint64
	Entries                     int
}

type key struct {
	kind store.Kind
	id   string
}

type entry struct {
	v   any
	exp time.Time
}

// Store is a store.Store with a read cache.
type Store struct {
	store.Store
	ttl time.Duration
	now func() time.Time
	lru *lru.Cache[key, entry]

	// mu orders fills against drops: a fill checks gen under it, a drop
	// bumps gen under it, so no fill of a value read before a drop lands
	// after the drop.
	mu  sync.Mutex
	gen atomic.Uint64
	// live is false while changes by other processes may go unseen: the
	// cache is bypassed.
	live atomic.Bool

	hits, misses, drops atomic.Uint64

	stop context.CancelFunc
	done chan struct{}
}

// New wraps st and starts following its changes (Store.Watch). Close
// stops it and closes st.
func New(st store.Store, o Options) *Store {
	if o.Size <= 0 {
		o.Size = 100_000
	}
	if o.TTL <= 0 {
		o.TTL = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c, _ := lru.New[key, entry](o.Size) // only a size ≤ 0 fails
	s := &Store{Store: st, ttl: o.TTL, now: o.Now, lru: c, done: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go func() {
		defer close(s.done)
		_ = st.Watch(ctx, func() { s.live.Store(true) }, s.changed)
	}()
	return s
}

// Ready reports whether the cache is serving (changes by other processes
// are being followed); until then every read goes to the database.
func (s *Store) Ready() bool { return s.live.Load() }

// Close stops following changes and closes the wrapped store.
func (s *Store) Close() error {
	s.stop()
	<-s.done
	return s.Store.Close()
}

// Unwrap gives the wrapped store (store.As).
func (s *Store) Unwrap() store.Store { return s.Store }

// Stats reads the counters.
func (s *Store) Stats() Stats {
	return Stats{Hits: s.hits.Load(), Misses: s.misses.Load(), Invalidations: s.drops.Load(), Entries: s.lru.Len()}
}

func (s *Store) changed(c store.Change) {
	if c.Kind == "" {
		// Changes may have been missed: serve nothing until told again
		// that they are followed, and forget everything.
		s.live.Store(false)
		s.mu.Lock()
		s.gen.Add(1)
		s.lru.Purge()
		s.mu.Unlock()
		s.drops.Add(1)
		return
	}
	s.drop([]key{{c.Kind, c.Key}})
}

func (s *Store) drop(keys []key) {
	if len(keys) == 0 {
		return
	}
	s.mu.Lock()
	s.gen.Add(1)
	for _, k := range keys {
		s.lru.Remove(k)
	}
	s.mu.Unlock()
	s.drops.Add(uint64(len(keys)))
}

// get serves k from memory, or loads it and keeps it unless a drop came
// after gen0 (the generation before the transaction that loads it began).
func (s *Store) get(k key, gen0 uint64, load func() (any, error)) (any, error) {
	if !s.live.Load() {
		return load()
	}
	if e, ok := s.lru.Get(k); ok {
		if s.now().Before(e.exp) {
			s.hits.Add(1)
			return e.v, nil
		}
		s.lru.Remove(k)
	}
	s.misses.Add(1)
	v, err := load()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.gen.Load() == gen0 && s.live.Load() {
		s.lru.Add(k, entry{v: v, exp: s.now().Add(s.ttl)})
	}
	s.mu.Unlock()
	return v, nil
}

// View runs fn with the cached reads.
func (s *Store) View(ctx context.Context, fn func(store.Reader) error) error {
	gen0 := s.gen.Load()
	return s.Store.View(ctx, func(r store.Reader) error {
		return fn(&reader{Reader: r, s: s, gen0: gen0})
	})
}

// Update runs fn with the cached reads and drops what it wrote when it
// returns, committed or not.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	gen0 := s.gen.Load()
	var written []key
	var mu sync.Mutex // fn may run again (retries); keep every run's keys
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		t := &txn{Tx: tx, reader: reader{Reader: tx, s: s, gen0: gen0}}
		t.reader.written = &t.written
		err := fn(t)
		mu.Lock()
		written = append(written, t.written...)
		mu.Unlock()
		return err
	})
	s.drop(written)
	return err
}

// AccessToken reads a token by its hash, from memory when it can, without
// opening a transaction then: the authentication of every call.
func (s *Store) AccessToken(ctx context.Context, hash []byte) (*store.AccessToken, error) {
	k := key{store.KindAccessToken, string(hash)}
	if s.live.Load() {
		if e, ok := s.lru.Get(k); ok && s.now().Before(e.exp) {
			s.hits.Add(1)
			t := *e.v.(*store.AccessToken)
			return &t, nil
		}
	}
	var tok *store.AccessToken
	err := s.View(ctx, func(r store.Reader) error {
		var err error
		tok, err = r.AccessToken(hash)
		return err
	})
	return tok, err
}

type reader struct {
	store.Reader
	s    *Store
	gen0 uint64
	// written, in an Update, lists the keys this transaction wrote: read
	// from the transaction, never from memory or into it.
	written *[]key
}

func (r *reader) fresh(k key) bool {
	if r.written == nil {
		return false
	}
	for _, w := range *r.written {
		if w == k {
			return true
		}
	}
	return false
}

// cached reads k through the cache; the value kept is never handed out,
// only copies of it (callers may change what they read before writing it).
func cached[T proto.Message](r *reader, kind store.Kind, id string, load func(string) (T, error)) (T, error) {
	k := key{kind, id}
	if r.fresh(k) {
		return load(id)
	}
	v, err := r.s.get(k, r.gen0, func() (any, error) { return load(id) })
	if err != nil {
		var zero T
		return zero, err
	}
	return proto.Clone(v.(T)).(T), nil
}

func (r *reader) Agency(id string) (*ruqiv1.Agency, error) {
	return cached(r, store.KindAgency, id, r.Reader.Agency)
}

func (r *reader) Officer(id string) (*ruqiv1.Officer, error) {
	return cached(r, store.KindOfficer, id, r.Reader.Officer)
}

func (r *reader) Enterprise(uscc string) (*ruqiv1.Enterprise, error) {
	return cached(r, store.KindEnterprise, uscc, r.Reader.Enterprise)
}

func (r *reader) CheckItem(id string) (*ruqiv1.CheckItem, error) {
	return cached(r, store.KindCheckItem, id, r.Reader.CheckItem)
}

func (r *reader) AccessToken(hash []byte) (*store.AccessToken, error) {
	k := key{store.KindAccessToken, string(hash)}
	if r.fresh(k) {
		return r.Reader.AccessToken(hash)
	}
	v, err := r.s.get(k, r.gen0, func() (any, error) { return r.Reader.AccessToken(hash) })
	if err != nil {
		return nil, err
	}
	t := *v.(*store.AccessToken)
	return &t, nil
}

type txn struct {
	store.Tx
	reader
	written []key
}

// The reads go through the cache (reader), the writes to the transaction.
func (t *txn) Agency(id string) (*ruqiv1.Agency, error)       { return t.reader.Agency(id) }
func (t *txn) Officer(id string) (*ruqiv1.Officer, error)     { return t.reader.Officer(id) }
func (t *txn) CheckItem(id string) (*ruqiv1.CheckItem, error) { return t.reader.CheckItem(id) }

// AccessToken reads from the transaction (see the package comment).
func (t *txn) AccessToken(hash []byte) (*store.AccessToken, error) {
	return t.Tx.AccessToken(hash)
}

// Enterprise reads from the transaction (see the package comment).
func (t *txn) Enterprise(uscc string) (*ruqiv1.Enterprise, error) {
	return t.Tx.Enterprise(uscc)
}

// Uncached is the transaction without the cache (store.Uncached).
func (t *txn) Uncached() store.Tx { return t.Tx }

func (t *txn) wrote(kind store.Kind, id string) { t.written = append(t.written, key{kind, id}) }

func (t *txn) PutAgency(a *ruqiv1.Agency) error {
	t.wrote(store.KindAgency, a.GetId())
	return t.Tx.PutAgency(a)
}

func (t *txn) PutOfficer(o *ruqiv1.Officer) error {
	t.wrote(store.KindOfficer, o.GetId())
	return t.Tx.PutOfficer(o)
}

func (t *txn) PutEnterprise(e *ruqiv1.Enterprise) error {
	t.wrote(store.KindEnterprise, e.GetUscc())
	return t.Tx.PutEnterprise(e)
}

func (t *txn) PutCheckItem(c *ruqiv1.CheckItem) error {
	t.wrote(store.KindCheckItem, c.GetId())
	return t.Tx.PutCheckItem(c)
}

func (t *txn) PutAccessToken(a *store.AccessToken) error {
	t.wrote(store.KindAccessToken, string(a.Hash))
	return t.Tx.PutAccessToken(a)
}

func (t *txn) DeleteAccessToken(hash []byte) error {
	t.wrote(store.KindAccessToken, string(hash))
	return t.Tx.DeleteAccessToken(hash)
}

var _ store.Store = (*Store)(nil)
