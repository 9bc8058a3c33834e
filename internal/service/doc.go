// Package service implements the gRPC handlers: it turns requests into domain
// checks and store transactions, and domain errors into gRPC status codes in
// one table (errors.go).
package service
