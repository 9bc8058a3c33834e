// Package cli implements the ruqi command line: officer, company, keys and admin commands over gRPC.
package cli
