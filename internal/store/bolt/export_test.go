package bolt

import "time"

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
// It gives up if the writer has ended (the store closed); fn must not call
// t.Fatal or write through the store, which waits for this same writer.
func (s *Store) onWriterDo(fn func()) {
	done := make(chan struct{})
	select {
	case s.onWriter <- func() { defer close(done); fn() }:
	case <-s.writerDone:
		panic("onWriterDo: the writer has ended")
	}
	select {
	case <-done:
	case <-s.writerDone:
		panic("onWriterDo: the writer ended while running fn")
	}
}

// SetProgressEvery makes a long upgrade of the file log its progress
// after every transaction.
func SetProgressEvery(d time.Duration) (restore func()) {
	old := progressEvery
	progressEvery = d
	return func() { progressEvery = old }
}
