// Package faultproxy is a TCP proxy for tests: it sits in front of a real
// server (Redis, RabbitMQ, PostgreSQL, a Kafka fake) and can be cut and
// restored, so messaging code is tested against real outages rather than
// mocked clients.
//
// # Example
//
//	p := faultproxy.New(t, "127.0.0.1:6379") // closed by t.Cleanup
//	client := redis.NewClient(&redis.Options{Addr: p.Addr()})
//	p.Cut()      // existing connections are closed, new ones refused
//	p.Restore()  // traffic flows again
//	p.Blackhole() // connections stay open but no byte gets through (timeouts)
package faultproxy
