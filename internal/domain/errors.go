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
	for i, a := range args {
		args[i] = clipArg(a)
	}
	return &Error{Kind: k, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// MaxEchoRunes bounds every value of the request that an error message
// repeats: a 1 MB field must not come back as a 1 MB grpc-message header,
// which clients and proxies with 8 KiB header limits see as a transport
// error instead of the reason.
const MaxEchoRunes = 64

// Clip shortens s to at most n runes, marking the cut with "…".
func Clip(s string, n int) string {
	if len(s) <= n { // bytes ≥ runes: nothing to cut
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "…"
		}
		i++
	}
	return s
}

// clipArg bounds a value echoed into a message; numbers and small values
// pass as they are.
// Composed is a message the server composed from its own words and
// bounded values, passed to an error's format whole: a string argument is
// taken for a value repeated from the request and clipped, which cut the
// frequency cap's refusal before the advice at its end (a trial of the
// CLI, 2026-12-05). The whole message is still bounded where it becomes a
// status (service.toStatus).
type Composed string

func clipArg(a any) any {
	switch v := a.(type) {
	case Composed:
		return string(v)
	case string:
		return Clip(v, MaxEchoRunes)
	case []string:
		const maxItems = 8
		out := make([]string, 0, min(len(v), maxItems+1))
		for i, s := range v {
			if i == maxItems {
				out = append(out, fmt.Sprintf("…（共%d项）", len(v)))
				break
			}
			out = append(out, Clip(s, MaxEchoRunes))
		}
		return out
	case error:
		return Clip(v.Error(), 4*MaxEchoRunes)
	case fmt.Stringer:
		return Clip(v.String(), MaxEchoRunes)
	}
	return a
}

// Record kinds in the metadata ("record", beside its "index" in the
// request's list of that kind) of a directory import's refusal of one
// record, by which ruqi admin import names the line of the file.
const (
	RecordAgency     = "agency"
	RecordOfficer    = "officer"
	RecordEnterprise = "enterprise"
	RecordCheckItem  = "check_item"
)

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

// ReasonOf returns the reason of a domain error anywhere in err's chain, or
// "".
func ReasonOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

// KindOf returns the kind of a domain error anywhere in err's chain, or 0.
func KindOf(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return 0
}
