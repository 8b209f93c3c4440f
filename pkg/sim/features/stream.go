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
// Memory: four N x N buffers, the static-feature workspace and the Summer's
// 64 KiB block, plus 8 bytes per snapshot. A Stream is not safe for
// concurrent use.
type Stream struct {
	n       int
	cfg     Config
	t       int
	last    []float64 // last snapshot, volts
	prevMV  []float64 // previous snapshot, mV
	curMV   []float64 // current snapshot, mV
	delta   []float64 // |curMV - prevMV|, then squares for the energy
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
	cur, prev, d := s.curMV, s.prevMV[:len(s.curMV)], s.delta[:len(s.curMV)]
	energy, err := snapshotEnergy(field, cur, d, s.t)
	if err != nil {
		return err
	}
	copy(s.last, field)
	if s.t > 0 {
		// Values are finite here, so a plain comparison is max.
		m := s.dvMax
		for k, y := range cur {
			v := math.Abs(y - prev[k])
			d[k] = v
			if v > m {
				m = v
			}
		}
		s.dvMax = m
		s.scanStability(reduce.StdOfSum(d, s.dvSum.AddSum(d)))
	}
	s.energy = append(s.energy, energy)
	s.curMV, s.prevMV = prev, cur
	s.t++
	return nil
}

// snapshotEnergy writes the snapshot in mV into mv and returns its energy
// E = S(mv^2), using sq as scratch. It fails when a value is NaN or
// infinite, or so large that the energy overflows: the energy sum doubles
// as that check, so valid input costs no extra pass.
func snapshotEnergy(field, mv, sq []float64, t int) (float64, error) {
	for k, x := range field {
		y := x * mvScale
		mv[k] = y
		sq[k] = y * y
	}
	e := reduce.Sum(sq)
	if e-e == 0 {
		return e, nil
	}
	for k, x := range field {
		if y := x * mvScale; y*y-y*y != 0 {
			return 0, fmt.Errorf("features: snapshot %d has a NaN, infinite or out-of-range value at cell %d: %v", t, k, x)
		}
	}
	return 0, fmt.Errorf("features: snapshot %d: the field energy overflows", t)
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
