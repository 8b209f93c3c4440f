package retry

import (
	"context"
	"testing"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/breaker"
)

// BenchmarkDoSuccess is the overhead of the retry loop and breaker around
// an operation that succeeds at once.
func BenchmarkDoSuccess(b *testing.B) {
	r := &Retrier{Policy: FromConfig(integration.RetryConfig{}), Breaker: breaker.New(breaker.Config{})}
	op := func(context.Context) error { return nil }
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if res := r.Do(ctx, op); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
