package breaker

import "testing"

func BenchmarkAllowSuccess(b *testing.B) {
	br := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		p, err := br.Allow()
		if err != nil {
			b.Fatal(err)
		}
		p.Success()
	}
}

func BenchmarkAllowSuccessParallel(b *testing.B) {
	br := New(Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, _ := br.Allow()
			p.Success()
		}
	})
}
