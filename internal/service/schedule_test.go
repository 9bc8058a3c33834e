package service

import "testing"

// A job every 3 polls on the sequencing replica: at once when the replica
// starts sequencing (at start, or taking over), then every third poll; not
// while another replica sequences; at once again on taking over later.
func TestSchedule_RunsOnTakingOverThenEveryInterval(t *testing.T) {
	due := newSchedule(3)
	sequencing := []bool{false, false, true, true, true, true, true, true, false, false, true, true}
	want := []bool{false, false, true, false, false, true, false, false, false, false, true, false}
	for i, s := range sequencing {
		if got := due(s); got != want[i] {
			t.Errorf("poll %d (sequencing %v): due %v, want %v", i, s, got, want[i])
		}
	}
	every := newSchedule(1) // the log: every poll while sequencing
	for i := range 4 {
		if !every(true) {
			t.Errorf("poll %d: an every-poll job not due", i)
		}
	}
}
