package local_test

import (
	"sync"
	"testing"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/coordtest/storeseed"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

func TestConformance(t *testing.T) {
	coordtest.Run(t, &shared{})
}

// TestConformance_SeededFromBolt runs the suite with the coordinator seeded,
// as a server seeds it, from what the service wrote to a bbolt file.
func TestConformance_SeededFromBolt(t *testing.T) {
	coordtest.RunWith(t, &shared{}, storeseed.Bolt)
}

// TestConformance_SeededFromPostgres: the same from a PostgreSQL database,
// a fresh one per test.
func TestConformance_SeededFromPostgres(t *testing.T) {
	coordtest.RunWith(t, &shared{}, storeseed.Postgres(pgtest.Start(t)))
}

// shared hands every client of one test the same coordinator.
type shared struct {
	mu    sync.Mutex
	bound local.Bound
	seeds map[*testing.T]*local.Coordinator
}

func (s *shared) Client(t *testing.T, seed coord.Seeder) coord.Coordinator {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seeds == nil {
		s.seeds = map[*testing.T]*local.Coordinator{}
	}
	c, ok := s.seeds[t]
	if !ok {
		c = local.NewBounded(seed, s.bound)
		s.seeds[t] = c
	}
	return c
}

// TestConformance_BoundedToOne runs the suite with a working set of one
// enterprise: the concurrent test's 50 enterprises on one coordinator are
// forgotten one after another while calls race.
func TestConformance_BoundedToOne(t *testing.T) {
	coordtest.Run(t, &shared{bound: local.Bound{MaxEnterprises: 1}})
}
