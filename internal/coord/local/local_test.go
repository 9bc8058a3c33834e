package local_test

import (
	"sync"
	"testing"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/local"
)

func TestConformance(t *testing.T) {
	coordtest.Run(t, &shared{})
}

// shared hands every client of one test the same coordinator.
type shared struct {
	mu    sync.Mutex
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
		c = local.New(seed)
		s.seeds[t] = c
	}
	return c
}
