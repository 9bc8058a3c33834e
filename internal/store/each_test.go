package store

import (
	"errors"
	"slices"
	"testing"
)

// Each walks a list a page at a time from each page's last key, to its end,
// and stops at fn's error.
func TestEach_PagesToTheEndAndStopsOnError(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e"}
	read := func(p Page) ([]string, error) {
		i, _ := slices.BinarySearch(all, p.After)
		if p.After != "" {
			i++
		}
		return all[i:min(i+p.Limit, len(all))], nil
	}
	id := func(s string) string { return s }
	for limit := 1; limit <= 6; limit++ {
		var got []string
		if err := Each(limit, read, id, func(s string) error { got = append(got, s); return nil }); err != nil || !slices.Equal(got, all) {
			t.Errorf("limit %d: %v, %v; want %v", limit, got, err, all)
		}
	}
	stop := errors.New("stop")
	var got []string
	err := Each(2, read, id, func(s string) error {
		got = append(got, s)
		if len(got) == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || len(got) != 3 {
		t.Errorf("stopped walk: %v after %v, want stop after 3", err, got)
	}
}
