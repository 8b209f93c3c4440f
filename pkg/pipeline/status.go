package pipeline

import (
	"time"

	"github.com/mfn-io/mfn-operator/pkg/status"
)

// Counters are the runtime's cumulative counters. The first five are the
// /status totals; the others are exported on /metrics only.
type Counters struct {
	// Processed counts messages whose result every publisher accepted.
	Processed int64
	// Failed counts messages that could not be simulated.
	Failed int64
	// Simulated counts messages whose processing (decoding and simulation)
	// finished, successfully or not; their results may still be on their
	// way to the publishers.
	Simulated int64
	// DeadLettered counts failure envelopes the dead-letter publisher accepted.
	DeadLettered int64
	// InFlight is the number of messages taken and not yet settled.
	InFlight int64
	// LastProcessed is when the last message was processed (zero if never).
	LastProcessed time.Time
	// Undelivered counts results a publisher gave up.
	Undelivered int64
	// Nacked counts messages handed back to the source.
	Nacked int64
	// DeadLetterErrors counts failure envelopes the dead-letter publisher gave up.
	DeadLetterErrors int64
	// Pauses counts how often consumption was paused by an open breaker.
	Pauses int64
	// Paused reports that consumption is paused now.
	Paused bool
}

// Counters returns a snapshot of the counters.
func (r *Runtime) Counters() Counters {
	c := Counters{
		Processed:        r.processed.Load(),
		Failed:           r.failed.Load(),
		Simulated:        r.simulated.Load(),
		DeadLettered:     r.deadLettered.Load(),
		InFlight:         r.inFlight.Load(),
		Undelivered:      r.undelivered.Load(),
		Nacked:           r.nacked.Load(),
		DeadLetterErrors: r.deadLetterErrors.Load(),
		Pauses:           r.pauses.Load(),
		Paused:           r.paused.Load(),
	}
	if ns := r.lastProcessed.Load(); ns != 0 {
		c.LastProcessed = time.Unix(0, ns).UTC()
	}
	return c
}

// Status returns the /status document. It takes no lock of the runtime's
// own: counters are atomics and each component snapshots itself.
func (r *Runtime) Status() status.Report {
	rep := status.Report{
		SchemaVersion: status.SchemaVersion,
		Pipeline:      r.cfg.Name,
		Worker:        r.cfg.Worker,
		StartTime:     r.start,
		Time:          time.Now().UTC(),
		Connector:     named(r.cfg.Connector.Snapshot(), r.cfg.Connector.Name),
		Publishers:    make([]status.ComponentReport, len(r.cfg.Publishers)),
	}
	for i, p := range r.cfg.Publishers {
		rep.Publishers[i] = named(p.Snapshot(), p.Name)
	}
	if dl := r.cfg.DeadLetter; dl.Publisher != nil {
		s := named(dl.Snapshot(), dl.Name)
		rep.DeadLetter = &s
	}
	c := r.Counters()
	rep.Totals = status.Totals{Processed: c.Processed, Failed: c.Failed, DeadLettered: c.DeadLettered, InFlight: c.InFlight}
	if !c.LastProcessed.IsZero() {
		rep.Totals.LastProcessedTime = &c.LastProcessed
	}
	rep.Ready = r.connected.Load() && ready(&rep)
	return rep
}

// Ready reports readiness (INTEGRATION.md §10.1): the pipeline is running,
// the connector and every publisher are connected and no breaker is open.
func (r *Runtime) Ready() bool {
	if !r.connected.Load() {
		return false
	}
	if !componentReady(r.cfg.Connector.Snapshot()) {
		return false
	}
	for _, p := range r.allPublishers() {
		if !componentReady(p.Snapshot()) {
			return false
		}
	}
	return true
}

func ready(rep *status.Report) bool {
	if !componentReady(rep.Connector) {
		return false
	}
	for _, p := range rep.Publishers {
		if !componentReady(p) {
			return false
		}
	}
	return rep.DeadLetter == nil || componentReady(*rep.DeadLetter)
}

func componentReady(s status.ComponentReport) bool {
	return s.Status == status.ComponentConnected && s.Breaker.State != status.BreakerOpen
}

func named(s status.ComponentReport, name string) status.ComponentReport {
	if s.Name == "" {
		s.Name = name
	}
	return s
}
