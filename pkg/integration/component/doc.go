// Package component holds what every connector and publisher shares, so a
// concrete component stays small: identity (ID scrubbed of credentials),
// status transitions of INTEGRATION.md §1.3, one circuit breaker, the
// retry loop bound to the component's policy, the §5 counters, their
// Prometheus export (§5.3) and structured logs (§6).
//
// # Connector
//
//	base, err := component.NewConnectorBase(cfg, component.Options{ID: "rest-/v1/x", Kind: "rest", Registerer: reg})
//	err = base.Connect(ctx, func(ctx context.Context) error { return ping(ctx) })
//	err = base.Do(ctx, "poll", func(ctx context.Context) error { body, err = get(ctx); return err })
//	base.Received(len(body))     // or base.Failed(err) for an input unit that failed
//	snap := base.Snapshot()
//
// # Publisher
//
// Publishers normally go through the batch package, which drives a
// PublisherBase: Do for each send (publish_errors, retry_count), Sent,
// Dropped and the Buffered gauge.
//
// # Status rules
//
// connect: disconnected → connecting → connected, or error on failure;
// an operation that exhausts its retries → error; a later success →
// connected; breaker opening → circuit_open, closing → connected;
// Disconnected → disconnected.
//
// # Prometheus
//
// When metrics are enabled (the default) and Options.Registerer is set,
// one collector per component exports the §5.3 series with constant labels
// component_id and kind (role for the breaker series). Call Unregister
// when the component is discarded.
package component
