//go:build amd64 && !purego

package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// special values the kernels must treat exactly like the Go loops (and
// numpy): NaN, signed zeros, the clip and clamp bounds and their
// neighbours, infinities.
var specials = []float64{
	math.NaN(), 0, math.Copysign(0, -1), 1, math.Nextafter(1, 2), math.Nextafter(1, 0),
	FieldMinV, FieldMaxV, math.Nextafter(FieldMinV, -1), math.Nextafter(FieldMaxV, 1),
	math.Inf(1), math.Inf(-1), 0.75, math.Nextafter(0.75, 1), -1e-300, 5e-324,
}

func randomRow(r *rand.Rand, n int, scale, offset float64) []float64 {
	x := make([]float64, n)
	for j := range x {
		if r.IntN(5) == 0 {
			x[j] = specials[r.IntN(len(specials))]
		} else {
			x[j] = offset + scale*r.NormFloat64()
		}
	}
	return x
}

// sameValues is sameBits except that all NaNs are equal: which NaN an
// operation on two NaNs returns depends on operand order, which compilers
// do not preserve for commutative operations (not part of the contract).
func sameValues(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool {
		return math.Float64bits(x) == math.Float64bits(y) || (x != x && y != y)
	})
}

// withLevel runs f at the given kernel level.
func withLevel(level int, f func()) {
	saved := kernelLevel
	kernelLevel = level
	defer func() { kernelLevel = saved }()
	f()
}

// withGeneric runs f with the assembly switched off.
func withGeneric(f func()) { withLevel(levelGeneric, f) }

// vectorLevels are the assembly levels this CPU can run.
func vectorLevels(t *testing.T) []int {
	t.Helper()
	switch detectKernelLevel() {
	case levelAVX512:
		return []int{levelAVX2, levelAVX512}
	case levelAVX2:
		return []int{levelAVX2}
	}
	// The engine runs the portable loops on this CPU, which the other
	// tests cover; the assembly cannot run here.
	t.Skip("CPU without AVX2: the assembly kernels are not used on this machine")
	return nil
}

func TestKernelsMatchGeneric(t *testing.T) {
	for _, level := range vectorLevels(t) {
		t.Run(fmt.Sprintf("level=%d", level), func(t *testing.T) {
			withLevel(level, func() { testKernelsMatchGeneric(t) })
		})
	}
}

func testKernelsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cfg := DefaultEngineConfig()
	cfg.TuringThreshold = 0.75
	k := newKernelConsts(cfg, math.Sqrt(0.0005))
	for trial := range 300 {
		n := 4 + r.IntN(60)
		t.Run(fmt.Sprintf("trial=%d/n=%d", trial, n), func(t *testing.T) {
			up, cur, down := randomRow(r, n, 0.01, -0.07), randomRow(r, n, 0.01, -0.07), randomRow(r, n, 0.01, -0.07)
			for _, rl := range []bool{false, true} {
				got, want := make([]float64, n), make([]float64, n)
				lapRow(got, up, cur, down, 0.5, -0.25, rl)
				withGeneric(func() { lapRow(want, up, cur, down, 0.5, -0.25, rl) })
				if !sameValues(got, want) {
					t.Fatalf("lapRow rl=%v:\n got %v\nwant %v", rl, got, want)
				}
			}

			v, lv := randomRow(r, n, 0.01, -0.07), randomRow(r, n, 0.01, 0)
			a, la := randomRow(r, n, 0.5, 0.5), randomRow(r, n, 0.5, 0)
			b, lb := randomRow(r, n, 0.5, 0.5), randomRow(r, n, 0.5, 0)
			// a = -0, b = +0, La = -0 gives a' = -0, which numpy's clip
			// turns into +0; a' = 1 and b' = 1 hit the upper bound exactly.
			negZero := math.Copysign(0, -1)
			a[0], b[0], la[0], lb[0] = negZero, 0, negZero, negZero
			a[1], b[1], la[1], lb[1] = 1, 1, 0, 0
			nv1, na1, nb1 := make([]float64, n), make([]float64, n), make([]float64, n)
			nv2, na2, nb2 := make([]float64, n), make([]float64, n), make([]float64, n)
			for _, clamp := range []bool{false, true} {
				t1, c1, nan1 := turingRow(nv1, v, lv, na1, a, la, nb1, b, lb, &k, clamp)
				var t2, c2 int
				var nan2 bool
				withGeneric(func() { t2, c2, nan2 = turingRow(nv2, v, lv, na2, a, la, nb2, b, lb, &k, clamp) })
				if t1 != t2 || c1 != c2 || nan1 != nan2 || !sameValues(nv1, nv2) || !sameValues(na1, na2) || !sameValues(nb1, nb2) {
					t.Fatalf("turingRow clamp=%v: counts %d/%d/%v vs %d/%d/%v\nnv %v\n   %v\nna %v\n   %v\nnb %v\n   %v",
						clamp, t1, c1, nan1, t2, c2, nan2, nv1, nv2, na1, na2, nb1, nb2)
				}
			}

			d1, d2 := make([]float64, n), make([]float64, n)
			diffuseRow(d1, v, lv, &k)
			withGeneric(func() { diffuseRow(d2, v, lv, &k) })
			if !sameValues(d1, d2) {
				t.Fatalf("diffuseRow:\n got %v\nwant %v", d1, d2)
			}

			x := randomRow(r, n, 0.05, -0.05)
			z := randomRow(r, n, 1, 0)
			c1, c2 := slices.Clone(x), slices.Clone(x)
			ch1, n1 := jitterClampRow(c1, z, &k)
			var ch2 int
			var n2 bool
			withGeneric(func() { ch2, n2 = jitterClampRow(c2, z, &k) })
			if ch1 != ch2 || n1 != n2 || !sameValues(c1, c2) {
				t.Fatalf("jitterClampRow: %d/%v vs %d/%v\n got %v\nwant %v", ch1, n1, ch2, n2, c1, c2)
			}
			c1, c2 = slices.Clone(x), slices.Clone(x)
			ch1, n1 = clampRow(c1, &k)
			withGeneric(func() { ch2, n2 = clampRow(c2, &k) })
			if ch1 != ch2 || n1 != n2 || !sameValues(c1, c2) {
				t.Fatalf("clampRow: %d/%v vs %d/%v\n got %v\nwant %v", ch1, n1, ch2, n2, c1, c2)
			}
		})
	}
}

// TestEngineGoldenLevels runs the golden cases at every kernel level
// other than the detected one (which TestEngineGolden covers).
func TestEngineGoldenLevels(t *testing.T) {
	for _, level := range append([]int{levelGeneric}, vectorLevels(t)...) {
		if level == detectKernelLevel() {
			continue
		}
		withLevel(level, func() {
			for _, c := range loadEngineCases(t) {
				t.Run(fmt.Sprintf("level=%d/%s", level, c.ID), func(t *testing.T) { runGoldenCase(t, &c, 1) })
			}
		})
	}
}

// BenchmarkSimulateKernelLevels compares the kernel levels on one core.
func BenchmarkSimulateKernelLevels(b *testing.B) {
	names := map[int]string{levelGeneric: "go", levelAVX2: "avx2", levelAVX512: "avx512"}
	for _, level := range []int{levelGeneric, levelAVX2, levelAVX512} {
		if level > detectKernelLevel() {
			continue
		}
		for _, jitter := range []bool{false, true} {
			b.Run(fmt.Sprintf("grid=256/steps=200/jitter=%v/kernels=%s", jitter, names[level]), func(b *testing.B) {
				withLevel(level, func() { benchSimulate(b, benchConfig(256, jitter), 200, WithWorkers(1)) })
			})
		}
	}
}
