package serve

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
)

// errStorageUnavailable is what a caller sees when the store could not
// commit: the request was fine, nothing was saved, and it is worth retrying.
var errStorageUnavailable = domain.Unavailablef("STORAGE_UNAVAILABLE",
	"存储暂时无法写入（磁盘已满或只读等），本次操作未保存，请稍后重试；已有记录不受影响")

// errDatabaseUnavailable is health's error while the database is out of
// reach (store.ErrUnavailable): /healthz said "磁盘已满或只读等" with
// PostgreSQL stopped (an operator's trial, 2026-12-06).
var errDatabaseUnavailable = domain.Unavailablef("STORE_UNAVAILABLE",
	"数据库（PostgreSQL）暂时无法访问，本服务器暂停服务，恢复连接后自动恢复；已有记录不受影响")

// healthStore watches the store's writes from outside the backend: a commit
// that fails although the transaction's function succeeded is a storage
// failure (disk full, read-only file system, lost database). While writes
// fail the server reports NOT_SERVING and callers get UNAVAILABLE saying
// storage is the problem; a probe that can write restores SERVING.
type healthStore struct {
	store.Store
	probe    func(context.Context) error
	onChange func(healthy bool)
	// byWrite lets a write that succeeds set SERVING again, as the probe
	// does: on PostgreSQL, where nothing grows a file here. Not on bbolt,
	// whose writes that fit its pages succeed between those that need the
	// file to grow (healthStore.Update).
	byWrite bool

	mu      sync.Mutex
	healthy bool
	lastErr error
	probing bool
	done    chan struct{}
	// failures counts commits that failed on storage (not a function's
	// refusal), for /metrics.
	failures uint64
}

// Metrics says whether storage accepts writes and how many commits failed
// on it so far: /metrics had neither, and during a full disk only the
// count of UNAVAILABLE answers moved (an operator's trial, 2026-12-06).
func (h *healthStore) Metrics() (writable bool, failures uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.healthy, h.failures
}

func newHealthStore(st store.Store, probe func(context.Context) error) *healthStore {
	return &healthStore{Store: st, probe: probe, healthy: true, done: make(chan struct{})}
}

// Update runs fn and sorts its failure: fn's own errors (domain refusals)
// pass through untouched; a failed commit marks storage unhealthy.
func (h *healthStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	var fnErr error
	err := h.Store.Update(ctx, func(tx store.Tx) error {
		fnErr = fn(tx) // the last run decides: bbolt may run fn again
		return fnErr
	})
	switch {
	case err == nil:
		// On bbolt not a sign of health by itself: with the file unable
		// to grow and the log with room, writes that fit the file's pages
		// succeed between those that fail, and health and its log lines
		// flapped, about 50 lines in 20 s (an operator's trial,
		// 2026-12-07). The probe, which asks for room to grow, decides.
		if h.byWrite {
			h.set(true, nil)
		}
		return nil
	case fnErr != nil, ctx.Err() != nil:
		return err
	}
	h.mu.Lock()
	h.failures++
	h.mu.Unlock()
	h.set(false, err)
	if errors.Is(err, store.ErrUnavailable) {
		return err // the database is out of reach, not the disk: the service says so
	}
	return errStorageUnavailable
}

// View runs fn; a database out of reach (store.ErrUnavailable) marks the
// store unhealthy as a failed commit does: with PostgreSQL stopped every
// call failed at its token lookup, a read, so nothing wrote and health
// stayed SERVING while the replica could serve nothing (a trial of the
// pages, 2026-12-05). The probe's first write that succeeds restores it.
func (h *healthStore) View(ctx context.Context, fn func(store.Reader) error) error {
	err := h.Store.View(ctx, fn)
	if err != nil && ctx.Err() == nil && errors.Is(err, store.ErrUnavailable) {
		h.set(false, err)
	}
	return err
}

// Unwrap gives the store watched, for what it does besides reading and
// writing (compaction, counters).
func (h *healthStore) Unwrap() store.Store { return h.Store }

// notify calls fn with every change of health from now on.
func (h *healthStore) notify(fn func(healthy bool)) {
	h.mu.Lock()
	h.onChange = fn
	h.mu.Unlock()
}

// Err is nil while storage accepts writes.
func (h *healthStore) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.healthy {
		return nil
	}
	if errors.Is(h.lastErr, store.ErrUnavailable) {
		return errDatabaseUnavailable
	}
	return errStorageUnavailable
}

func (h *healthStore) set(healthy bool, err error) {
	h.mu.Lock()
	changed := h.healthy != healthy
	h.healthy, h.lastErr = healthy, err
	startProbe := !healthy && !h.probing
	if startProbe {
		h.probing = true
	}
	onChange := h.onChange
	h.mu.Unlock()
	if changed {
		if healthy {
			slog.Info("storage accepts writes again: serving")
		} else {
			slog.Error("storage write failed: not serving until writes succeed", "err", err)
		}
		if onChange != nil {
			onChange(healthy)
		}
	}
	if startProbe {
		go h.probeUntilHealthy()
	}
}

// probeUntilHealthy tries a write every second while storage is unhealthy,
// so that health comes back even when no caller writes (a load balancer
// sends none to a server that is NOT_SERVING).
func (h *healthStore) probeUntilHealthy() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
		}
		h.mu.Lock()
		healthy := h.healthy
		if healthy {
			h.probing = false
		}
		h.mu.Unlock()
		if healthy {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := h.probe(ctx)
		cancel()
		if err == nil {
			h.mu.Lock()
			h.probing = false
			h.mu.Unlock()
			h.set(true, nil)
			return
		}
	}
}

func (h *healthStore) Close() error {
	close(h.done)
	return h.Store.Close()
}

// newStoreHealth watches db (read and written through st): on bbolt the
// probe writes beside its file, where the store grows, not in the data
// directory, which -store may leave on another disk; on PostgreSQL it is
// the empty write alone, and any write that succeeds sets SERVING again (a
// probe of the data directory kept a replica NOT_SERVING for good, with
// PostgreSQL back, when that directory was small or read-only: a review,
// 2026-12-07).
func newStoreHealth(st store.Store, db store.Store) *healthStore {
	if b, ok := store.As[*bolt.Store](db); ok {
		return newHealthStore(st, dataDirProbe(filepath.Dir(b.Path()), db))
	}
	h := newHealthStore(st, func(ctx context.Context) error { return db.Update(ctx, func(store.Tx) error { return nil }) })
	h.byWrite = true
	return h
}

// dataDirProbe checks that the data directory takes new data: it writes,
// syncs and removes a file of probeBytes, then makes an empty write. The
// file matters: the write only shows that the store's writer takes writes
// (under the write-ahead log an empty write is not even committed), which a
// full disk still allows. Its size is room for the bbolt file to grow
// (by 1 MiB and a commit's pages): with 256 KiB the probe passed where the
// file could not grow, and health flapped.
func dataDirProbe(dir string, st store.Store) func(context.Context) error {
	const probeBytes = 4 << 20
	return func(ctx context.Context) error {
		f, err := os.CreateTemp(dir, ".write-probe-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		_, werr := f.Write(make([]byte, probeBytes))
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			return err
		}
		return st.Update(ctx, func(store.Tx) error { return nil })
	}
}
