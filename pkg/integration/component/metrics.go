package component

import (
	"sync/atomic"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/status"
)

// ConnectorMetrics are the connector counters of INTEGRATION.md §5.1. They
// are atomics: update them from any goroutine.
type ConnectorMetrics struct {
	MessagesReceived atomic.Int64
	MessagesFailed   atomic.Int64
	BytesReceived    atomic.Int64
	ConnectionErrors atomic.Int64
	RetryCount       atomic.Int64
	lastSuccess      atomic.Int64 // unix nanoseconds, 0 = never
}

// SetLastSuccess records the time of the last message handed to the caller.
func (m *ConnectorMetrics) SetLastSuccess(t time.Time) { m.lastSuccess.Store(t.UnixNano()) }

// LastSuccess returns the last success time (UTC) or nil.
func (m *ConnectorMetrics) LastSuccess() *time.Time { return unixTime(m.lastSuccess.Load()) }

// Snapshot copies the counters into the /status type.
func (m *ConnectorMetrics) Snapshot() status.ConnectorMetrics {
	return status.ConnectorMetrics{
		MessagesReceived: m.MessagesReceived.Load(),
		MessagesFailed:   m.MessagesFailed.Load(),
		BytesReceived:    m.BytesReceived.Load(),
		ConnectionErrors: m.ConnectionErrors.Load(),
		RetryCount:       m.RetryCount.Load(),
		LastSuccessTime:  m.LastSuccess(),
	}
}

// PublisherMetrics are the publisher counters of INTEGRATION.md §5.2.
type PublisherMetrics struct {
	MessagesSent   atomic.Int64
	MessagesFailed atomic.Int64
	BytesSent      atomic.Int64
	BatchesSent    atomic.Int64
	PublishErrors  atomic.Int64
	RetryCount     atomic.Int64
	// Buffered is the current number of buffered messages (a gauge).
	Buffered    atomic.Int64
	lastSuccess atomic.Int64
}

// SetLastSuccess records the time of the last sent message.
func (m *PublisherMetrics) SetLastSuccess(t time.Time) { m.lastSuccess.Store(t.UnixNano()) }

// LastSuccess returns the last success time (UTC) or nil.
func (m *PublisherMetrics) LastSuccess() *time.Time { return unixTime(m.lastSuccess.Load()) }

// Snapshot copies the counters into the /status type.
func (m *PublisherMetrics) Snapshot() status.PublisherMetrics {
	return status.PublisherMetrics{
		MessagesSent:    m.MessagesSent.Load(),
		MessagesFailed:  m.MessagesFailed.Load(),
		BytesSent:       m.BytesSent.Load(),
		BatchesSent:     m.BatchesSent.Load(),
		PublishErrors:   m.PublishErrors.Load(),
		RetryCount:      m.RetryCount.Load(),
		Buffered:        m.Buffered.Load(),
		LastSuccessTime: m.LastSuccess(),
	}
}

func unixTime(ns int64) *time.Time {
	if ns == 0 {
		return nil
	}
	t := time.Unix(0, ns).UTC()
	return &t
}
