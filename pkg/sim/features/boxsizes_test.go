package features

import (
	"math"
	"slices"
	"testing"
)

// The emulation must reproduce the authoritative default table for every
// s_max (it is the same computation the table was produced with).
func TestGeomspaceReproducesDefaultTable(t *testing.T) {
	for smax, want := range defaultSizes {
		if got := geomspaceTrunc(2, smax, 5); !slices.Equal(got, want) {
			t.Errorf("geomspace(2, %d, 5) sizes = %v, want %v", smax, got, want)
		}
	}
}

// Values quoted in ENGINE.md §6.3 and seen in the golden data.
func TestGeomspaceNearIntegers(t *testing.T) {
	tests := []struct {
		smin, smax, num int
		want            []int
	}{
		{2, 32, 5, []int{2, 4, 7, 16, 32}}, // [2] = 7.999999999999999, [1] = 4.0
		{2, 8, 5, []int{2, 3, 5, 8}},       // [2] = 3.999999999999999
		{2, 8, 3, []int{2, 3, 8}},          // golden num_scales 3 on N = 16
		{1, 8, 4, []int{1, 2, 4, 8}},       // golden min 1 / max 8 / 4 scales
		{2, 2, 5, []int{2}},                // step 0: every interior value 10^log10(2)
	}
	for _, tc := range tests {
		if got := geomspaceTrunc(tc.smin, tc.smax, tc.num); !slices.Equal(got, tc.want) {
			t.Errorf("geomspace(%d, %d, %d) sizes = %v, want %v", tc.smin, tc.smax, tc.num, got, tc.want)
		}
	}
}

func TestCorrectlyRoundedHelpers(t *testing.T) {
	for _, x := range []float64{1, 10, 100, 1000, 1e10} {
		if got := log10CR(x); got != math.Round(math.Log10(x)) {
			t.Errorf("log10CR(%v) = %v", x, got)
		}
	}
	for _, y := range []float64{0, 1, 2, 3, -1} {
		if got, want := pow10CR(y), math.Pow(10, y); got != want {
			t.Errorf("pow10CR(%v) = %v, want %v", y, got, want)
		}
	}
	// log10(2) correctly rounded is 0x3FD34413509F79FF (0.3010299956639812).
	if got := math.Float64bits(log10CR(2)); got != 0x3FD34413509F79FF {
		t.Errorf("log10CR(2) bits = %#x", got)
	}
}

func TestBoxSizes(t *testing.T) {
	def := DefaultConfig()
	tests := []struct {
		name string
		n    int
		c    Config
		want []int
	}{
		{"default_n4", 4, def, []int{2}},
		{"default_n16", 16, def, []int{2, 3, 5, 8}},
		{"default_n64", 64, def, []int{2, 4, 7, 16, 32}},
		{"default_n1024", 1024, def, []int{2, 4, 7, 16, 32}},
		{"default_n50", 50, def, []int{2, 3, 7, 13, 25}},
		{"n3_cap_is_n", 3, def, []int{2, 3}},
		{"explicit_max", 16, Config{MinBoxSize: 1, MaxBoxSize: 8, NumScales: 4}, []int{1, 2, 4, 8}},
		// s_max raised to s_min: geomspace(2, 2, 5), which numpy truncates to
		// the single size 2 (default table, N = 4-5).
		{"max_below_min", 16, Config{MinBoxSize: 2, MaxBoxSize: 1, NumScales: 5}, []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := BoxSizes(tc.n, tc.c); !slices.Equal(got, tc.want) {
				t.Fatalf("BoxSizes(%d) = %v, want %v", tc.n, got, tc.want)
			}
		})
	}
}
