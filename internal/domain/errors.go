package domain

import (
	"errors"
	"fmt"
)

// Kind classifies a domain error; internal/service maps each kind to one gRPC
// status code, in one table.
type Kind int

const (
	KindInvalid            Kind = iota + 1 // the request itself is wrong
	KindNotFound                           // a named thing does not exist
	KindAlreadyExists                      // a duplicate
	KindFailedPrecondition                 // the request is fine but the state forbids it
	KindPermissionDenied                   // the caller may not do this
	KindUnauthenticated                    // the caller is not known
	KindResourceExhausted                  // a frequency cap (无事不扰) is reached
	KindUnavailable                        // a dependency is down; retry later
)

// Error is a domain error. Reason is a stable machine-readable code (sent as
// google.rpc.ErrorInfo); Message is for the officer or enterprise, in Chinese,
// and says what was wrong and what to do.
type Error struct {
	Kind    Kind
	Reason  string
	Message string
	// Metadata carries machine-readable facts, e.g. the existing inspection id.
	Metadata map[string]string
}

func (e *Error) Error() string { return e.Message }

func newf(k Kind, reason, format string, args ...any) *Error {
	return &Error{Kind: k, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// With returns e with a metadata entry added.
func (e *Error) With(key, value string) *Error {
	if e.Metadata == nil {
		e.Metadata = map[string]string{}
	}
	e.Metadata[key] = value
	return e
}

func Invalidf(reason, format string, args ...any) *Error {
	return newf(KindInvalid, reason, format, args...)
}
func NotFoundf(reason, format string, args ...any) *Error {
	return newf(KindNotFound, reason, format, args...)
}
func AlreadyExistsf(reason, format string, args ...any) *Error {
	return newf(KindAlreadyExists, reason, format, args...)
}
func FailedPreconditionf(reason, format string, args ...any) *Error {
	return newf(KindFailedPrecondition, reason, format, args...)
}
func PermissionDeniedf(reason, format string, args ...any) *Error {
	return newf(KindPermissionDenied, reason, format, args...)
}
func Unauthenticatedf(reason, format string, args ...any) *Error {
	return newf(KindUnauthenticated, reason, format, args...)
}
func ResourceExhaustedf(reason, format string, args ...any) *Error {
	return newf(KindResourceExhausted, reason, format, args...)
}
func Unavailablef(reason, format string, args ...any) *Error {
	return newf(KindUnavailable, reason, format, args...)
}

// KindOf returns the kind of a domain error anywhere in err's chain, or 0.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return 0
}
