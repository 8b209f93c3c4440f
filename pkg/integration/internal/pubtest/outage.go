package pubtest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// Fault cuts and restores the path between a publisher and its server.
type Fault interface {
	Cut()
	Restore()
}

// Outage describes the fault-injection scenario run against every publisher.
type Outage struct {
	// Publisher must be configured at_least_once with a buffer of at least
	// N/2 messages, small retry delays and a short breaker timeout, and log
	// into Logs.
	Publisher integration.Publisher
	// Logs is the recorder the publisher logs into (breaker transitions).
	Logs *Recorder
	// Fault sits between the publisher and the server.
	Fault Fault
	// Delivered returns the receiving side's tally; it is called after the
	// publisher reported every message delivered (Kafka and RabbitMQ read
	// back then) or polled while waiting (webhook, Redis subscriber).
	Delivered func(t *testing.T) *Tally
	// N is the number of messages (default 5000); Duration the outage (default 5 s).
	N        int
	Duration time.Duration
	// Message builds message i (event id "ev-<i>" by default).
	Message func(i int) integration.Outgoing
}

// OutageMessage is the default message i of the scenario.
func OutageMessage(i int) integration.Outgoing {
	id := fmt.Sprintf("ev-%05d", i)
	return integration.Outgoing{Key: fmt.Sprintf("sim-%d", i%7), EventID: id,
		Body: fmt.Appendf(nil, `{"event_id":%q,"event":"simulation_complete","features":{"D_box":1.584}}`, id)}
}

// RunOutage publishes N/2 messages and cuts the path once N/4 were
// acknowledged (messages may be in flight), publishes the other half during
// the outage, restores the path after Duration and waits until every
// message was acknowledged. It then asserts: every Done called
// exactly once with nil; no message lost at the receiving side (duplicates
// are allowed and logged); messages_sent = N, messages_failed = 0,
// bytes_sent = the body bytes, buffer empty; the breaker went
// closed → open → half_open → … → half_open → closed, in that order, and
// the status is connected again. It returns the number of duplicates.
func RunOutage(t *testing.T, o Outage) (duplicates int) {
	t.Helper()
	if o.N == 0 {
		o.N = 5000
	}
	if o.Duration == 0 {
		o.Duration = 5 * time.Second
	}
	if o.Message == nil {
		o.Message = OutageMessage
	}
	p, ctx := o.Publisher, t.Context()
	if err := p.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	var doneCalls, doneErrs atomic.Int64
	var firstErr sync.Once
	var bodyBytes int64
	allDone := make(chan struct{})
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			m := o.Message(i)
			bodyBytes += int64(len(m.Body))
			m.Done = func(err error) {
				if err != nil {
					doneErrs.Add(1)
					firstErr.Do(func() { t.Errorf("message %s given up: %v", m.EventID, err) })
				}
				if doneCalls.Add(1) == int64(o.N) {
					close(allDone)
				}
			}
			if err := p.Publish(ctx, m); err != nil {
				t.Errorf("Publish %d: %v", i, err)
				return
			}
		}
	}
	// Publish the first half from a goroutine and cut the path once a
	// quarter was acknowledged, so that the cut can hit messages in flight;
	// the second half is published during the outage.
	published := make(chan struct{})
	go func() {
		defer close(published)
		publish(0, o.N/2)
	}()
	waitFor(t, 20*time.Second, "a quarter of the messages to be delivered", func() bool {
		return doneCalls.Load() >= int64(o.N/4)
	})
	o.Fault.Cut()
	cutAt := time.Now()
	<-published
	publish(o.N/2, o.N)
	// The outage must be noticed: wait until the breaker opened.
	waitFor(t, 10*time.Second, "breaker to open during the outage", func() bool {
		return slices.Contains(o.Logs.BreakerTransitions(), "closed->open")
	})
	if s := p.Snapshot(); s.Status != string(integration.StatusCircuitOpen) {
		t.Errorf("status %q during the outage, want circuit_open", s.Status)
	}
	if rest := o.Duration - time.Since(cutAt); rest > 0 {
		time.Sleep(rest)
	}
	o.Fault.Restore()

	select {
	case <-allDone:
	case <-time.After(15 * time.Second):
		t.Fatalf("after the outage only %d of %d messages were settled", doneCalls.Load(), o.N)
	}
	// Every message settled; a late double Done would show up here.
	time.Sleep(20 * time.Millisecond)
	if n := doneCalls.Load(); n != int64(o.N) || doneErrs.Load() != 0 {
		t.Fatalf("Done called %d times for %d messages, %d with an error", n, o.N, doneErrs.Load())
	}

	tally := o.Delivered(t)
	unique, dups := tally.Counts()
	t.Logf("outage of %v: %d messages, %d delivered, %d duplicates at the receiver", o.Duration, o.N, unique, dups)
	if unique != o.N {
		t.Errorf("lost %d of %d messages", o.N-unique, o.N)
	}

	snap := p.Snapshot()
	m := snap.Publisher
	t.Logf("metrics: %+v", *m)
	if m.MessagesSent != int64(o.N) || m.MessagesFailed != 0 || m.BytesSent != bodyBytes || m.Buffered != 0 {
		t.Errorf("metrics sent %d (want %d) failed %d bytes %d (want %d) buffered %d",
			m.MessagesSent, o.N, m.MessagesFailed, m.BytesSent, bodyBytes, m.Buffered)
	}
	if m.PublishErrors < 1 || m.RetryCount < 1 {
		t.Errorf("outage left no trace: publish_errors %d retry_count %d", m.PublishErrors, m.RetryCount)
	}
	if snap.Status != string(integration.StatusConnected) || snap.Breaker.State != "closed" {
		t.Errorf("after recovery: status %q breaker %q", snap.Status, snap.Breaker.State)
	}
	tr := o.Logs.BreakerTransitions()
	t.Logf("breaker transitions: %s", strings.Join(tr, " "))
	if err := walkError(tr); err != nil {
		t.Error(err)
	}
	return dups
}

// walkError checks that the breaker transitions form one walk that opens,
// probes half-open and closes, in that order, never closing without a
// half-open probe.
func walkError(tr []string) error {
	if len(tr) < 3 || tr[0] != "closed->open" || tr[len(tr)-1] != "half_open->closed" {
		return fmt.Errorf("breaker transitions %v: want closed->open first and half_open->closed last", tr)
	}
	for i, step := range tr {
		from, to, ok := strings.Cut(step, "->")
		if !ok {
			return fmt.Errorf("breaker transition %q is not from->to", step)
		}
		if from == "open" && to == "closed" {
			return fmt.Errorf("breaker transitions %v: closed without a half-open probe", tr)
		}
		if i > 0 && !strings.HasSuffix(tr[i-1], "->"+from) {
			return fmt.Errorf("breaker transitions %v: %s does not follow %s", tr, step, tr[i-1])
		}
	}
	return nil
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// OutageConfig is the publisher configuration of the scenario: at least
// once, a buffer for the whole outage, retries and breaker on a
// sub-second scale.
func OutageConfig() integration.PublisherConfig {
	return integration.PublisherConfig{
		DeliveryGuarantee:   integration.AtLeastOnce,
		BatchSize:           100,
		BatchTimeout:        10 * time.Millisecond,
		MaxBufferedMessages: 5000,
		RetryConfig: integration.RetryConfig{
			MaxRetries:              2,
			InitialRetryDelay:       10 * time.Millisecond,
			MaxRetryDelay:           50 * time.Millisecond,
			Timeout:                 time.Second,
			CircuitBreakerThreshold: 3,
			CircuitBreakerTimeout:   200 * time.Millisecond,
		},
	}
}

// Blackholer is a fault that can also swallow traffic silently.
type Blackholer interface {
	Blackhole()
	Restore()
}

// AsBlackhole makes the outage a network partition: connections stay open
// and every byte is dropped (clients see timeouts, outcomes are ambiguous).
func AsBlackhole(b Blackholer) Fault { return blackhole{b} }

type blackhole struct{ b Blackholer }

func (h blackhole) Cut()     { h.b.Blackhole() }
func (h blackhole) Restore() { h.b.Restore() }

// SkipIfShort skips an outage test under `go test -short`: each cuts the
// path to its server for 5 s and sends 5 000 messages. `make test` does
// not pass -short, so CI runs them.
func SkipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test cuts the server for 5 s and sends 5 000 messages; make test runs it without -short")
	}
}
