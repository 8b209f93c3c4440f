package rng

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
)

// rngGolden mirrors shared/golden/rng.json.
type rngGolden struct {
	Seeds []seedVectors `json:"seeds"`
}

type seedVectors struct {
	SeedStr string `json:"seed_str"`
	State   struct {
		State string `json:"state_hex"`
		Inc   string `json:"inc_hex"`
	} `json:"pcg64_state_after_seeding"`
	Pool      []uint32                              `json:"seedsequence_pool_uint32"`
	GenState  []string                              `json:"seedsequence_generate_state_4xuint64"`
	Raw       []string                              `json:"raw_uint64"`
	Random    []float64                             `json:"random"`
	Integers  map[string][]int64                    `json:"integers"`
	StdNormal []float64                             `json:"standard_normal"`
	Normal    []float64                             `json:"normal_0.02_0.005"`
	Uniform   []float64                             `json:"uniform_0_0.1"`
	Fill      struct{ Normal, Uniform [][]float64 } `json:"normal_-0.07_0.005_size_3x3_then_uniform_0_0.1_size_3x3"`
	Mixed     []mixedOp                             `json:"mixed_sequence_one_generator"`
	After     struct {
		State  string       `json:"pcg64_state_hex"`
		Sum    float64      `json:"sum_sequential"`
		Tail   [][2]float64 `json:"tail_draws"`
		MaxAbs float64      `json:"max_abs"`
	} `json:"after_200000_standard_normal"`
}

type mixedOp struct {
	Op    string          `json:"op"`
	High  json.RawMessage `json:"high"`
	Low   json.RawMessage `json:"low"`
	Loc   float64         `json:"loc"`
	Scale float64         `json:"scale"`
	Value json.RawMessage `json:"value"`
}

func loadRNG(t *testing.T) []seedVectors {
	t.Helper()
	var g rngGolden
	golden.Load(t, "rng.json", &g)
	if len(g.Seeds) != 5 {
		t.Fatalf("rng.json: want 5 seeds, got %d", len(g.Seeds))
	}
	return g.Seeds
}

// newFromSeedString seeds from the decimal seed through its base-2^32
// words, so seeds of any size go through the same path as numpy.
func newFromSeedString(t *testing.T, s string) *Generator {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 {
		t.Fatalf("bad seed %q", s)
	}
	var words []uint32
	mask := big.NewInt(0xffffffff)
	for n.Sign() > 0 {
		words = append(words, uint32(new(big.Int).And(n, mask).Uint64()))
		n.Rsh(n, 32)
	}
	g := NewFromEntropy(words)
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		// The uint64 constructor must agree with the word path.
		h := New(n)
		if h.PCG64 != g.PCG64 {
			t.Fatalf("seed %s: New and NewFromEntropy disagree", s)
		}
	}
	return g
}

func u128Hex(u Uint128) string {
	return fmt.Sprintf("0x%016x%016x", u.Hi, u.Lo)
}

func parseU64(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sameFloat reports bit equality (so -0 != +0 and NaN == NaN).
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b)
}

func TestSeeding(t *testing.T) {
	for _, sv := range loadRNG(t) {
		t.Run(sv.SeedStr, func(t *testing.T) {
			g := newFromSeedString(t, sv.SeedStr)
			state, inc := g.State()
			if got := u128Hex(state); got != sv.State.State {
				t.Errorf("state = %s, want %s", got, sv.State.State)
			}
			if got := u128Hex(inc); got != sv.State.Inc {
				t.Errorf("inc = %s, want %s", got, sv.State.Inc)
			}
			seed, _ := strconv.ParseUint(sv.SeedStr, 10, 64)
			ss := SeedSequenceFromUint64(seed)
			pool := ss.Pool()
			for i, w := range sv.Pool {
				if pool[i] != w {
					t.Errorf("pool[%d] = %d, want %d", i, pool[i], w)
				}
			}
			var st [4]uint64
			ss.GenerateState64(st[:])
			for i, s := range sv.GenState {
				if want := parseU64(t, s); st[i] != want {
					t.Errorf("generate_state[%d] = %d, want %d", i, st[i], want)
				}
			}
		})
	}
}

func TestStreams(t *testing.T) {
	for _, sv := range loadRNG(t) {
		t.Run(sv.SeedStr, func(t *testing.T) {
			g := newFromSeedString(t, sv.SeedStr)
			for i, s := range sv.Raw {
				if got, want := g.Uint64(), parseU64(t, s); got != want {
					t.Fatalf("raw[%d] = %d, want %d", i, got, want)
				}
			}
			checkFloats(t, "random", sv.Random, newFromSeedString(t, sv.SeedStr).Random)
			checkFloats(t, "standard_normal", sv.StdNormal, newFromSeedString(t, sv.SeedStr).StandardNormal)
			g = newFromSeedString(t, sv.SeedStr)
			checkFloats(t, "normal(0.02,0.005)", sv.Normal, func() float64 { return g.Normal(0.02, 0.005) })
			g2 := newFromSeedString(t, sv.SeedStr)
			checkFloats(t, "uniform(0,0.1)", sv.Uniform, func() float64 { return g2.Uniform(0, 0.1) })
			if len(sv.Integers) != 5 {
				t.Fatalf("want 5 integer ranges, got %d", len(sv.Integers))
			}
			for hs, want := range sv.Integers {
				high, err := strconv.ParseInt(hs, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				g := newFromSeedString(t, sv.SeedStr)
				for i, w := range want {
					if got := g.Integers(high); got != w {
						t.Fatalf("integers(0,%d)[%d] = %d, want %d", high, i, got, w)
					}
				}
			}
		})
	}
}

func checkFloats(t *testing.T, name string, want []float64, draw func() float64) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: no golden values", name)
	}
	for i, w := range want {
		if got := draw(); !sameFloat(got, w) {
			t.Fatalf("%s[%d] = %v (%x), want %v (%x)", name, i, got, math.Float64bits(got), w, math.Float64bits(w))
		}
	}
}

func TestArrayFills(t *testing.T) {
	for _, sv := range loadRNG(t) {
		t.Run(sv.SeedStr, func(t *testing.T) {
			g := newFromSeedString(t, sv.SeedStr)
			var normal, uniform []float64
			for _, row := range sv.Fill.Normal {
				normal = append(normal, row...)
			}
			for _, row := range sv.Fill.Uniform {
				uniform = append(uniform, row...)
			}
			if len(normal) != 9 || len(uniform) != 9 {
				t.Fatalf("want 3x3 fills, got %d and %d values", len(normal), len(uniform))
			}
			checkFloats(t, "normal(-0.07,0.005) fill", normal, func() float64 { return g.Normal(-0.07, 0.005) })
			checkFloats(t, "uniform(0,0.1) fill", uniform, func() float64 { return g.Uniform(0, 0.1) })
		})
	}
}

func TestMixedSequence(t *testing.T) {
	for _, sv := range loadRNG(t) {
		t.Run(sv.SeedStr, func(t *testing.T) {
			g := newFromSeedString(t, sv.SeedStr)
			if len(sv.Mixed) == 0 {
				t.Fatal("no mixed sequence")
			}
			for k, op := range sv.Mixed {
				switch op.Op {
				case "integers":
					high, err := strconv.ParseInt(unquote(op.High), 10, 64)
					if err != nil {
						t.Fatalf("op %d: %v", k, err)
					}
					if unquote(op.Low) != "0" {
						t.Fatalf("op %d: low %s not supported", k, op.Low)
					}
					want, err := strconv.ParseInt(unquote(op.Value), 10, 64)
					if err != nil {
						t.Fatalf("op %d: %v", k, err)
					}
					if got := g.Integers(high); got != want {
						t.Fatalf("op %d integers(0,%d) = %d, want %d", k, high, got, want)
					}
				case "random":
					checkFloat(t, k, op, g.Random())
				case "normal":
					checkFloat(t, k, op, g.Normal(op.Loc, op.Scale))
				case "standard_normal":
					checkFloat(t, k, op, g.StandardNormal())
				case "uniform":
					lo, _ := strconv.ParseFloat(unquote(op.Low), 64)
					hi, _ := strconv.ParseFloat(unquote(op.High), 64)
					checkFloat(t, k, op, g.Uniform(lo, hi))
				default:
					t.Fatalf("op %d: unknown op %q", k, op.Op)
				}
			}
		})
	}
}

func unquote(raw json.RawMessage) string {
	return strings.Trim(string(raw), `"`)
}

func checkFloat(t *testing.T, k int, op mixedOp, got float64) {
	t.Helper()
	want, err := strconv.ParseFloat(string(op.Value), 64)
	if err != nil {
		t.Fatalf("op %d: %v", k, err)
	}
	if !sameFloat(got, want) {
		t.Fatalf("op %d %s = %v, want %v", k, op.Op, got, want)
	}
}

// TestLongNormalRun covers the rare ziggurat paths (wedge rejections, the
// tail beyond R): 200000 standard normals must end in numpy's state, with
// the same sequential sum, maximum |x| and tail samples.
func TestLongNormalRun(t *testing.T) {
	for _, sv := range loadRNG(t) {
		t.Run(sv.SeedStr, func(t *testing.T) {
			g := newFromSeedString(t, sv.SeedStr)
			if len(sv.After.Tail) == 0 {
				t.Fatal("no tail samples in golden data")
			}
			tail := 0
			sum, maxAbs := 0.0, 0.0
			for i := range 200000 {
				z := g.StandardNormal()
				sum += z
				maxAbs = max(maxAbs, math.Abs(z))
				if tail < len(sv.After.Tail) && float64(i) == sv.After.Tail[tail][0] {
					if !sameFloat(z, sv.After.Tail[tail][1]) {
						t.Errorf("draw %d = %v, want %v", i, z, sv.After.Tail[tail][1])
					}
					tail++
				}
			}
			if tail != len(sv.After.Tail) {
				t.Errorf("matched %d of %d tail samples by index", tail, len(sv.After.Tail))
			}
			state, _ := g.State()
			if got := u128Hex(state); got != sv.After.State {
				t.Errorf("state = %s, want %s", got, sv.After.State)
			}
			if !sameFloat(sum, sv.After.Sum) {
				t.Errorf("sum = %v, want %v", sum, sv.After.Sum)
			}
			if !sameFloat(maxAbs, sv.After.MaxAbs) {
				t.Errorf("max |x| = %v, want %v", maxAbs, sv.After.MaxAbs)
			}
		})
	}
}
