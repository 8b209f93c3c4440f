// Package connbase is the shared state of the Kafka, REST and database
// connectors: component status transitions (INTEGRATION.md §1.3), the
// circuit breaker, the retry loop with the §3.1 metric hooks, and the
// connector metrics of §5.1 with their snapshot. It is internal so that it
// can be replaced by the integration layer's public connector base
// without changing any connector API.
package connbase
