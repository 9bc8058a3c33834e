// Package domain holds the pure rules of 扫码入企: the USCC check, what makes a
// registration (报备) valid, inspection windows, and the typed errors that the
// service maps to gRPC status codes. It does no I/O.
package domain
