package integration

import (
	"context"
	"errors"
	"net"
	"strconv"
	"syscall"
	"time"
)

// Errors shared by every component.
var (
	// ErrConnectorDisabled is returned by data operations of a connector
	// whose config has Disabled set (INTEGRATION.md §1.4).
	ErrConnectorDisabled = errors.New("Connector is disabled") //nolint:staticcheck // exact text of the contract
	// ErrPublisherDisabled is the publisher counterpart of ErrConnectorDisabled.
	ErrPublisherDisabled = errors.New("Publisher is disabled") //nolint:staticcheck // exact text of the contract
	// ErrBufferFull is returned by Publish when the buffer is full and the
	// publisher is configured not to block.
	ErrBufferFull = errors.New("publisher buffer is full")
	// ErrClosed is returned by Publish after Disconnect.
	ErrClosed = errors.New("publisher is disconnected")
	// ErrMessageExpired is given to Done when a buffered message exceeded max_message_age.
	ErrMessageExpired = errors.New("message expired in the publisher buffer (max_message_age)")
)

// Class says how the retry loop treats an error (INTEGRATION.md §3.3).
type Class int

const (
	// ClassTransient errors are retried and count for the circuit breaker.
	// Unclassified errors are transient.
	ClassTransient Class = iota
	// ClassPermanent errors (authentication, missing endpoint, HTTP 4xx) are
	// not retried but count for the breaker: the endpoint is broken.
	ClassPermanent
	// ClassInvalid errors belong to one message (bad JSON, NaN, too large):
	// not retried and not counted by the breaker.
	ClassInvalid
	// ClassCancelled is the caller's context ending: never retried, never counted.
	ClassCancelled
)

// String returns transient, permanent, invalid or cancelled.
func (c Class) String() string {
	switch c {
	case ClassPermanent:
		return "permanent"
	case ClassInvalid:
		return "invalid"
	case ClassCancelled:
		return "cancelled"
	default:
		return "transient"
	}
}

// Error wraps an error with its retry class and an optional Retry-After delay.
type Error struct {
	Err   error
	Class Class
	// NotSent says the failure happened before the destination could have
	// received anything (see NotSent), so a resend cannot duplicate.
	NotSent bool
	// RetryAfter, when > 0, overrides the computed delay before the next
	// retry (still capped by max_retry_delay).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether a retry can help.
func (e *Error) Temporary() bool { return e.Class == ClassTransient }

func wrap(err error, c Class) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Class: c}
}

// Permanent marks err as an endpoint-level failure that is not retried but
// counts for the breaker. Permanent(nil) is nil.
func Permanent(err error) error { return wrap(err, ClassPermanent) }

// Invalid marks err as a per-message failure: not retried, not counted by
// the breaker. Invalid(nil) is nil.
func Invalid(err error) error { return wrap(err, ClassInvalid) }

// Temporary marks err as transient (retried). Temporary(nil) is nil.
func Temporary(err error) error { return wrap(err, ClassTransient) }

// RetryAfter marks err as transient with a server-requested delay.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Class: ClassTransient, RetryAfter: d}
}

// Classify returns the class of err. ctx is the caller's context: when it
// has ended, or err is context.Canceled, the class is ClassCancelled. A
// context.DeadlineExceeded while ctx is still alive is a per-attempt
// timeout, hence transient. ctx may be nil.
func Classify(ctx context.Context, err error) Class {
	if ctx != nil && ctx.Err() != nil {
		return ClassCancelled
	}
	if errors.Is(err, context.Canceled) {
		return ClassCancelled
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassTransient
}

// IsRetryable reports whether retrying err can help: transient errors are
// retryable; permanent, invalid and cancellation errors are not.
func IsRetryable(err error) bool {
	return err != nil && Classify(nil, err) == ClassTransient
}

// IsPermanent reports whether err is permanent or invalid.
func IsPermanent(err error) bool {
	c := Classify(nil, err)
	return err != nil && (c == ClassPermanent || c == ClassInvalid)
}

// CountsForBreaker reports whether a failure with err counts as a failed
// attempt for the circuit breaker.
func CountsForBreaker(ctx context.Context, err error) bool {
	c := Classify(ctx, err)
	return c == ClassTransient || c == ClassPermanent
}

// RetryAfterOf returns the Retry-After delay attached to err, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// NotSent marks err as a transient failure that certainly happened before
// the destination could have received the message (connection refused,
// DNS failure, client not connected). Under at_most_once only such
// failures are retried. NotSent(nil) is nil.
func NotSent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Class: ClassTransient, NotSent: true}
}

// SafeToResend reports whether err is a failure after which resending
// cannot produce a duplicate: errors marked with NotSent, dial errors,
// connection refused and DNS failures.
func SafeToResend(err error) bool {
	if !IsRetryable(err) {
		return false
	}
	var e *Error
	if errors.As(err, &e) && e.NotSent {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.Is(err, syscall.ECONNREFUSED)
}

// TimeoutError is the transient error for a per-request deadline expiry,
// with the exact text "Connection timeout after <seconds>s" (at least one
// decimal place: 30.0s, 2.5s) of INTEGRATION.md §12 G18.
func TimeoutError(timeout time.Duration) error {
	s := strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)
	if !containsByte(s, '.') {
		s += ".0"
	}
	return &Error{Err: errors.New("Connection timeout after " + s + "s"), Class: ClassTransient}
}

// DecodeError is the per-message error for input that is not valid JSON,
// with the text "JSON decode error: <detail>".
func DecodeError(detail error) error {
	return &Error{Err: &decodeError{detail}, Class: ClassInvalid}
}

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "JSON decode error: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

func containsByte(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			return true
		}
	}
	return false
}
