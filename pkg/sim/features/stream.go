package features

import (
	"errors"
	"fmt"
	"math"

	"github.com/mfn-io/mfn-operator/pkg/sim/reduce"
)

// Stream computes the features of a history fed one snapshot at a time,
// without keeping the history. Its result is identical (bit for bit) to
// FromHistory on the concatenated snapshots:
//
//   - dV_mean: the |change| values go through a reduce.Summer, whose
//     8192-value blocks run across snapshot boundaries exactly as numpy's
//     single reduction over the (T-1) x N x N array;
//   - T_stable: the std of each step's change is scanned as it arrives;
//   - E_trend: one energy scalar per snapshot is kept (8 bytes a step).
//
// Memory: five N x N buffers, the static-feature workspace and the Summer's
// 64 KiB block, plus 8 bytes per snapshot. A Stream is not safe for
// concurrent use.
type Stream struct {
	n       int
	cfg     Config
	t       int
	last    []float64 // last snapshot, volts
	next    []float64 // the snapshot being added (swapped with last)
	prevMV  []float64 // previous snapshot, mV
	curMV   []float64 // current snapshot, mV
	delta   []float64 // |curMV - prevMV|
	dvSum   reduce.Summer
	dvMax   float64
	run     int // current run of stable steps
	tStable int // 0 until a run of StabilityWindow stable steps is found
	energy  []float64
	ws      *workspace
}

// NewStream returns a Stream for n x n fields and the given config.
func NewStream(n int, c Config) (*Stream, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if n < 1 || n > 1<<15 {
		return nil, fmt.Errorf("features: grid size must be in [1, %d], got %d", 1<<15, n)
	}
	nn := n * n
	return &Stream{
		n:      n,
		cfg:    c,
		last:   make([]float64, nn),
		next:   make([]float64, nn),
		prevMV: make([]float64, nn),
		curMV:  make([]float64, nn),
		delta:  make([]float64, nn),
		dvMax:  math.Inf(-1),
	}, nil
}

// Len returns the number of snapshots added.
func (s *Stream) Len() int { return s.t }

// Add appends one snapshot (n*n values, volts, row-major). The field is
// copied; the caller may reuse it. A snapshot with a NaN or Inf value is
// rejected and leaves the Stream unchanged.
func (s *Stream) Add(field []float64) error {
	if len(field) != len(s.last) {
		return fmt.Errorf("features: snapshot has %d values, want %d x %d", len(field), s.n, s.n)
	}
	// One fused pass writes only scratch buffers (the copy, the mV values
	// and the changes); the state changes once the energy sum has shown
	// that every value is finite.
	nn := len(field)
	next, cur := s.next[:nn], s.curMV[:nn]
	prev, d := s.prevMV[:nn], s.delta[:nn]
	m := s.dvMax
	for k, x := range field {
		next[k] = x
		y := float64(x * mvScale) // rounded: no fused multiply-subtract below
		cur[k] = y
		v := math.Abs(y - prev[k])
		d[k] = v
		if v > m {
			m = v
		}
	}
	energy := reduce.SumSquares(cur)
	if energy-energy != 0 {
		return badSnapshot(field, s.t)
	}
	s.last, s.next = next, s.last
	if s.t > 0 {
		s.dvMax = m
		s.scanStability(reduce.StdOfSum(d, s.dvSum.AddSum(d)))
	}
	s.energy = append(s.energy, energy)
	s.curMV, s.prevMV = prev, cur
	s.t++
	return nil
}

// snapshotEnergy writes the snapshot in mV into mv and returns its energy
// E = S(mv^2). It fails when a value is NaN or
// infinite, or so large that the energy overflows: the energy sum doubles
// as that check, so valid input costs no extra pass.
func snapshotEnergy(field, mv []float64, t int) (float64, error) {
	for k, x := range field {
		mv[k] = x * mvScale
	}
	e := reduce.SumSquares(mv)
	if e-e == 0 {
		return e, nil
	}
	return 0, badSnapshot(field, t)
}

// badSnapshot returns the error for a snapshot whose energy is not finite.
func badSnapshot(field []float64, t int) error {
	for k, x := range field {
		if y := float64(x * mvScale); float64(y*y)-float64(y*y) != 0 {
			return fmt.Errorf("features: snapshot %d has a NaN, infinite or out-of-range value at cell %d: %v", t, k, x)
		}
	}
	return fmt.Errorf("features: snapshot %d: the field energy overflows", t)
}

// scanStability advances the T_stable scan with the std of the change of
// step s.t-1 (ENGINE.md §6.5). Finding the run does not depend on the final
// T: a run ending at step index u implies T >= u + 2 > window.
func (s *Stream) scanStability(sigma float64) {
	if s.tStable != 0 {
		return
	}
	if sigma < s.cfg.StabilityThresholdMV {
		s.run++
		if s.run == s.cfg.StabilityWindow {
			s.tStable = (s.t - 1) - s.cfg.StabilityWindow + 2
		}
		return
	}
	s.run = 0
}

// ErrNoSnapshots is returned by Stream.Features before the first Add.
var ErrNoSnapshots = errors.New("features: no snapshot added")

// Features returns the 18 features of the snapshots added so far. It may be
// called more than once; more snapshots may be added afterwards.
func (s *Stream) Features() (Vector, error) {
	if s.t == 0 {
		return Vector{}, ErrNoSnapshots
	}
	if s.ws == nil {
		s.ws = newWorkspace(s.n)
	}
	var v Vector
	s.ws.static(s.last, s.cfg, &v)
	if s.t < 2 {
		return v, nil
	}
	v.DVMean = s.dvSum.Sum() / float64(s.dvSum.Len())
	v.DVMax = s.dvMax
	v.TStable = s.t
	if s.tStable != 0 {
		v.TStable = s.tStable
	}
	v.ETrend = energyTrend(s.energy)
	return v, nil
}
