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
// Memory: five N x N float64 buffers, the static-feature workspace (created by the first Features call) and the
// Summer's 64 KiB block, plus 8 bytes per snapshot. A Stream is not safe for
// concurrent use.
type Stream struct {
	n       int
	cfg     Config
	th      thresholds
	t       int
	last    []float64 // last snapshot, volts
	next    []float64 // snapshot being added (swapped with last)
	prevMV  []float64 // previous snapshot, mV (after Add: the last one)
	curMV   []float64 // snapshot being added, mV
	delta   []float64 // |curMV - prevMV|
	eBlocks []float64 // per-block sums of the energy
	dBlocks []float64 // per-block sums of delta
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
	nb := (nn + reduce.BlockSize - 1) / reduce.BlockSize
	return &Stream{
		n:       n,
		cfg:     c,
		th:      newThresholds(c),
		last:    make([]float64, nn),
		next:    make([]float64, nn),
		prevMV:  make([]float64, nn),
		curMV:   make([]float64, nn),
		delta:   make([]float64, nn),
		eBlocks: make([]float64, nb),
		dBlocks: make([]float64, nb),
		dvMax:   math.Inf(-1),
	}, nil
}

// Reset empties the Stream and sets its config, keeping its buffers, so
// that one Stream serves many runs of the same grid size without
// allocating. After Reset the Stream behaves as a new one from
// NewStream(n, c).
func (s *Stream) Reset(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	s.cfg, s.th = c, newThresholds(c)
	s.t, s.run, s.tStable = 0, 0, 0
	s.dvSum.Reset()
	s.dvMax = math.Inf(-1)
	s.energy = s.energy[:0]
	return nil
}

// GridSize returns n, the side of the fields the Stream takes.
func (s *Stream) GridSize() int { return s.n }

// Len returns the number of snapshots added.
func (s *Stream) Len() int { return s.t }

// Add appends one snapshot (n*n values, volts, row-major). The field is
// copied; the caller may reuse it. A snapshot with a NaN or Inf value
// is rejected and leaves the Stream unchanged.
//
// The snapshot is processed in numpy's 8192-value blocks: one fused pass
// per block copies the field and computes the mV values, the changes and
// the running max, then the block's squares (and, when snapshots are whole
// blocks, its changes) are summed while the block is still in cache. Accumulating the
// block sums in order is exactly numpy's reduction.
func (s *Stream) Add(field []float64) error {
	nn := len(s.curMV)
	if len(field) != nn {
		return fmt.Errorf("features: snapshot has %d values, want %d x %d", len(field), s.n, s.n)
	}
	const bs = reduce.BlockSize
	// Block sums of the changes can go straight into the Summer when every
	// snapshot is a whole number of blocks (the Summer then stays aligned).
	wholeBlocks := nn%bs == 0
	m := s.dvMax
	for b, lo := 0, 0; lo < nn; b, lo = b+1, lo+bs {
		hi := min(lo+bs, nn)
		f, cur, d := field[lo:hi], s.curMV[lo:hi], s.delta[lo:hi]
		m = fused(f, s.next[lo:hi], cur, s.prevMV[lo:hi], d, m)
		s.eBlocks[b] = reduce.SumSquares(cur)
		if wholeBlocks {
			s.dBlocks[b] = reduce.Pairwise(d)
		}
	}
	energy := accumulate(s.eBlocks)
	if energy-energy != 0 { // NaN, infinity or an overflow of the squares
		return badSnapshot(field, s.t)
	}
	s.last, s.next = s.next, s.last
	if s.t > 0 {
		s.dvMax = m
		var sum float64
		if wholeBlocks {
			sum = accumulate(s.dBlocks)
			s.dvSum.AddBlockSums(s.dBlocks)
		} else {
			sum = s.dvSum.AddSum(s.delta)
		}
		s.scanStability(reduce.StdOfSum(s.delta, sum))
	}
	s.energy = append(s.energy, energy)
	s.curMV, s.prevMV = s.prevMV, s.curMV
	s.t++
	return nil
}

// accumulate adds block sums in order to an accumulator starting at 0.0,
// as numpy's reduction does (reduce.Sum = accumulate of the blocks'
// pairwise sums).
func accumulate(blockSums []float64) float64 {
	acc := 0.0
	for _, b := range blockSums {
		acc += b
	}
	return acc
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
	s.ws.static(s.prevMV, s.ws.maskOf(s.last, s.th), s.cfg, &v)
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
