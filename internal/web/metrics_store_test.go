package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/store"
)

// On PostgreSQL the one writer's, the log's and the pages' counters are not
// exported: they were, as 0, which read as a store that never synced; and
// whether this replica sequences the log is (a trial of the replicas,
// 2026-12-07).
func TestObserveStore_SharedStore_NoBboltCounters_Sequencing(t *testing.T) {
	m := NewMetrics()
	m.ObserveStore(func() store.Stats { return store.Stats{Commits: 3, Writes: 3, FileBytes: 1 << 20, Plans: 2} }, false)
	sequencing := true
	m.ObserveSequencing(func() bool { return sequencing })
	scrape := func() string {
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		return w.Body.String()
	}
	body := scrape()
	for _, want := range []string{"\nruqi_store_commits_total 3\n", "\nruqi_store_bytes_per_plan 524288\n", "\nruqi_log_sequencing 1\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %q", strings.TrimSpace(want))
		}
	}
	for _, bbolt := range []string{"ruqi_store_fsyncs_total", "ruqi_store_wal_bytes_total", "ruqi_store_checkpoints_total", "ruqi_store_pages_written_total", "ruqi_store_writer_busy_seconds_total"} {
		if strings.Contains(body, bbolt) {
			t.Errorf("a shared store exports %s", bbolt)
		}
	}
	sequencing = false
	if !strings.Contains(scrape(), "\nruqi_log_sequencing 0\n") {
		t.Error("a replica that stopped sequencing still says 1")
	}
}
