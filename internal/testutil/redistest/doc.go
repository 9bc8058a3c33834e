// Package redistest runs a real redis-server for tests: one process per call
// to Start, on a free loopback port, with no persistence, in the test's
// temporary directory, stopped when the test ends.
//
// Kill, Restart and FlushAll are for fault tests: a crash (clients see
// refused connections), a restart empty on the same address, and data lost
// under running clients. They report failures on the test that called Start,
// so call them from that test's goroutine.
//
// Without a redis-server binary on PATH the test is skipped, except with
// CI=true, where a missing engine fails the test: CI must never pass by
// skipping what it was meant to check.
package redistest
