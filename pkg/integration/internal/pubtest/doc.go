// Package pubtest holds test helpers shared by the publisher packages
// (webhook, redis, rabbitmq, kafka): a log recorder that extracts the
// circuit breaker transitions from the structured logs, a receiving-side
// tally of delivered event ids, and the outage scenario (5 000 messages, a
// 5 s outage in the middle) run against every publisher.
package pubtest
