package integration

import (
	"fmt"
	"strings"

	"github.com/mfn-io/mfn-operator/pkg/status"
)

// RetryStrategy selects the delay between attempts (INTEGRATION.md §3.2).
// The zero value means [RetryExponentialBackoff].
type RetryStrategy string

// Retry strategies (wire form in the string value).
const (
	RetryExponentialBackoff RetryStrategy = "exponential_backoff"
	RetryLinearBackoff      RetryStrategy = "linear_backoff"
	RetryImmediate          RetryStrategy = "immediate"
	RetryNone               RetryStrategy = "no_retry"
	RetryFixedDelay         RetryStrategy = "fixed_delay"
)

var retryStrategies = []RetryStrategy{RetryExponentialBackoff, RetryLinearBackoff,
	RetryImmediate, RetryNone, RetryFixedDelay}

// String returns the wire form; the zero value prints as exponential_backoff.
func (s RetryStrategy) String() string {
	if s == "" {
		return string(RetryExponentialBackoff)
	}
	return string(s)
}

// ParseRetryStrategy accepts exactly the lower snake case wire values.
func ParseRetryStrategy(s string) (RetryStrategy, error) {
	return parseEnum("retry_strategy", s, retryStrategies)
}

// MarshalText implements encoding.TextMarshaler.
func (s RetryStrategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; unknown values are rejected.
func (s *RetryStrategy) UnmarshalText(b []byte) error {
	v, err := ParseRetryStrategy(string(b))
	if err == nil {
		*s = v
	}
	return err
}

// DeliveryGuarantee says what happens to a message whose delivery failed
// (INTEGRATION.md §8.2). The zero value means [AtLeastOnce].
type DeliveryGuarantee string

// Delivery guarantees (wire form in the string value).
const (
	AtMostOnce  DeliveryGuarantee = "at_most_once"
	AtLeastOnce DeliveryGuarantee = "at_least_once"
	ExactlyOnce DeliveryGuarantee = "exactly_once"
)

var deliveryGuarantees = []DeliveryGuarantee{AtMostOnce, AtLeastOnce, ExactlyOnce}

// String returns the wire form; the zero value prints as at_least_once.
func (g DeliveryGuarantee) String() string {
	if g == "" {
		return string(AtLeastOnce)
	}
	return string(g)
}

// ParseDeliveryGuarantee accepts exactly the lower snake case wire values.
func ParseDeliveryGuarantee(s string) (DeliveryGuarantee, error) {
	return parseEnum("delivery_guarantee", s, deliveryGuarantees)
}

// MarshalText implements encoding.TextMarshaler.
func (g DeliveryGuarantee) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; unknown values are rejected.
func (g *DeliveryGuarantee) UnmarshalText(b []byte) error {
	v, err := ParseDeliveryGuarantee(string(b))
	if err == nil {
		*g = v
	}
	return err
}

// Status is the status of a connector or publisher (INTEGRATION.md §1.3).
// The zero value means [StatusDisconnected].
type Status string

// Component status values; they equal the status.Component* wire strings.
const (
	StatusDisconnected Status = status.ComponentDisconnected
	StatusConnecting   Status = status.ComponentConnecting
	StatusConnected    Status = status.ComponentConnected
	StatusError        Status = status.ComponentError
	StatusCircuitOpen  Status = status.ComponentCircuitOpen
)

var statuses = []Status{StatusDisconnected, StatusConnecting, StatusConnected,
	StatusError, StatusCircuitOpen}

// String returns the wire form; the zero value prints as disconnected.
func (s Status) String() string {
	if s == "" {
		return string(StatusDisconnected)
	}
	return string(s)
}

// ParseStatus accepts exactly the wire values.
func ParseStatus(s string) (Status, error) { return parseEnum("status", s, statuses) }

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; unknown values are rejected.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	if err == nil {
		*s = v
	}
	return err
}

func parseEnum[T ~string](field, s string, values []T) (T, error) {
	for _, v := range values {
		if string(v) == s {
			return v, nil
		}
	}
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return "", fmt.Errorf("%s: unknown value %q (must be one of %s)", field, s,
		strings.Join(names, ", "))
}
