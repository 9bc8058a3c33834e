package bolt

// SetMigrateBatch makes the lean migration rewrite n records per
// transaction, so that a small file is migrated in several.
func SetMigrateBatch(n int) (restore func()) {
	old := migrateBatch
	migrateBatch = n
	return func() { migrateBatch = old }
}

// BlockEvents is how many events a sealed block holds.
const BlockEvents = blockEvents

// onWriterDo runs fn on the writer goroutine and waits for it: the
// writer's state is its own, and a test that calls its steps from another
// goroutine races with it.
func (s *Store) onWriterDo(fn func()) {
	done := make(chan struct{})
	s.onWriter <- func() { fn(); close(done) }
	<-done
}
