package rng

import (
	"math"
	"strconv"
	"testing"

	"github.com/mfn-io/mfn-operator/internal/golden"
)

// TestZigguratTablesMatchGolden checks the generated ztables.go against
// ziggurat_tables.json bit for bit (guards against a stale or hand-edited
// file).
func TestZigguratTablesMatchGolden(t *testing.T) {
	var z struct {
		Ki   []string `json:"ki_double_uint64_decimal"`
		Wi   []string `json:"wi_double_hex"`
		Fi   []string `json:"fi_double_hex"`
		R    float64  `json:"ziggurat_nor_r"`
		InvR float64  `json:"ziggurat_nor_inv_r"`
	}
	golden.Load(t, "ziggurat_tables.json", &z)
	if len(z.Ki) != 256 || len(z.Wi) != 256 || len(z.Fi) != 256 {
		t.Fatalf("golden tables have %d/%d/%d entries", len(z.Ki), len(z.Wi), len(z.Fi))
	}
	for i := range 256 {
		ki, err := strconv.ParseUint(z.Ki[i], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		wi, err := strconv.ParseFloat(z.Wi[i], 64)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := strconv.ParseFloat(z.Fi[i], 64)
		if err != nil {
			t.Fatal(err)
		}
		if zigKi[i] != ki || !sameFloat(zigWi[i], wi) || !sameFloat(zigFi[i], fi) {
			t.Errorf("entry %d: ki %d wi %v fi %v, want %d %v %v", i, zigKi[i], zigWi[i], zigFi[i], ki, wi, fi)
		}
	}
	if !sameFloat(zigR, z.R) || !sameFloat(zigInvR, z.InvR) {
		t.Errorf("R, 1/R = %v, %v, want %v, %v", zigR, zigInvR, z.R, z.InvR)
	}
	if zigInvR != float64(1/zigR) {
		t.Errorf("1/R is not the rounded reciprocal of R")
	}
}

// TestUint32Buffer checks the half-word buffer rule of ENGINE.md §7.3:
// integers(0, 7) takes the low half of output 1, random() takes output 2
// and the next integers(0, 7) the stored high half of output 1.
func TestUint32Buffer(t *testing.T) {
	raw := New(0)
	o1, o2 := raw.Uint64(), raw.Uint64()
	g := New(0)
	if got := g.Uint32(); got != uint32(o1) {
		t.Fatalf("first Uint32 = %#x, want low half %#x", got, uint32(o1))
	}
	if got, want := g.Random(), float64(o2>>11)*0x1p-53; got != want {
		t.Fatalf("Random = %v, want %v from output 2", got, want)
	}
	if got := g.Uint32(); got != uint32(o1>>32) {
		t.Fatalf("second Uint32 = %#x, want high half %#x", got, uint32(o1>>32))
	}
	g.Seed(0)
	if g.has32 {
		t.Fatal("Seed did not clear the 32-bit buffer")
	}
}

func TestIntegersEdges(t *testing.T) {
	g := New(3)
	before := g.PCG64
	if got := g.Integers(1); got != 0 {
		t.Fatalf("Integers(1) = %d", got)
	}
	if g.PCG64 != before {
		t.Fatal("Integers(1) consumed random bits")
	}
	for range 1000 {
		if v := g.Integers(math.MaxInt64); v < 0 {
			t.Fatalf("Integers(MaxInt64) = %d", v)
		}
		if v := g.Integers(5); v < 0 || v >= 5 {
			t.Fatalf("Integers(5) = %d", v)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Integers(0) did not panic")
		}
	}()
	g.Integers(0)
}

func TestNewFromOSDiffers(t *testing.T) {
	a, err := NewFromOS()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewFromOS()
	if err != nil {
		t.Fatal(err)
	}
	if a.Uint64() == b.Uint64() && a.Uint64() == b.Uint64() {
		t.Fatal("two OS-seeded generators produced the same stream")
	}
}

// TestLongEntropy checks that entropy words beyond the pool size change the
// state (numpy mixes them in) and that trailing zero words within the pool
// size do not (numpy treats missing words as zero).
func TestLongEntropy(t *testing.T) {
	base := NewFromEntropy([]uint32{1, 2, 3, 4})
	long := NewFromEntropy([]uint32{1, 2, 3, 4, 5})
	if base.PCG64 == long.PCG64 {
		t.Fatal("fifth entropy word ignored")
	}
	if NewFromEntropy([]uint32{7}).PCG64 != NewFromEntropy([]uint32{7, 0, 0}).PCG64 {
		t.Fatal("trailing zero words changed the seeding")
	}
	if NewFromEntropy(nil).PCG64 != New(0).PCG64 {
		t.Fatal("empty entropy differs from seed 0")
	}
}

func BenchmarkStandardNormal(b *testing.B) {
	g := New(42)
	s := 0.0
	for b.Loop() {
		s += g.StandardNormal()
	}
	_ = s
}

func BenchmarkUint64(b *testing.B) {
	g := New(42)
	var s uint64
	for b.Loop() {
		s += g.Uint64()
	}
	_ = s
}

// TestFillStandardNormal: the bulk fill is the same stream as the scalar
// calls, across the rare paths (200000 draws include tail and wedge
// rejections), and leaves the generator in the same state.
func TestFillStandardNormal(t *testing.T) {
	a, b := New(12345), New(12345)
	buf := make([]float64, 200000)
	a.FillStandardNormal(buf[:7])
	a.FillStandardNormal(buf[7:])
	for k, got := range buf {
		if want := b.StandardNormal(); !sameFloat(got, want) {
			t.Fatalf("draw %d: fill %v, scalar %v", k, got, want)
		}
	}
	if a.PCG64 != b.PCG64 {
		t.Fatal("fill left a different state")
	}
}

func BenchmarkFillStandardNormal(b *testing.B) {
	g := New(42)
	buf := make([]float64, 256)
	for b.Loop() {
		g.FillStandardNormal(buf)
	}
	b.SetBytes(int64(8 * len(buf)))
}

// TestLog1pMatchesGlibc checks the tail's log1p against glibc vectors,
// including inputs on which math.Log1p is off by one ulp.
func TestLog1pMatchesGlibc(t *testing.T) {
	differsFromGo := 0
	for _, v := range log1pVectors {
		x, want := math.Float64frombits(v[0]), math.Float64frombits(v[1])
		if got := log1p(x); !sameFloat(got, want) {
			t.Errorf("log1p(%v) = %v, want %v", x, got, want)
		}
		if !sameFloat(math.Log1p(x), want) {
			differsFromGo++
		}
	}
	if differsFromGo < 48 {
		t.Fatalf("only %d vectors distinguish math.Log1p; the table is meant to", differsFromGo)
	}
	if !math.IsNaN(log1p(-2)) || !math.IsInf(log1p(-1), -1) || !math.IsInf(log1p(math.Inf(1)), 1) || !math.IsNaN(log1p(math.NaN())) {
		t.Fatal("log1p special cases")
	}
}
