package service

// SetMaxEventsExamined sets how many events one ListEvents call reads, for
// a test of a window of the log; it returns what undoes it.
func SetMaxEventsExamined(n uint64) func() {
	was := maxEventsExaminedPerCall
	maxEventsExaminedPerCall = n
	return func() { maxEventsExaminedPerCall = was }
}

// Restarted makes s take its next settling for the first after a start
// (SettleAnsweredProposals' full pass), as a new process would.
func (s *Service) Restarted() { s.settleScanned.Store(false) }
