// Package e2e holds the end-to-end tests: they build the real server and CLI
// binaries, start the server on free loopback ports with its own bbolt file,
// and drive it with the CLI and a gRPC client.
package e2e
