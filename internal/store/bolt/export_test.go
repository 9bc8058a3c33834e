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
