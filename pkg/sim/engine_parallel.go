package sim

import "runtime"

// Option configures an Engine.
type Option func(*options)

type options struct {
	workers int
}

// WithWorkers sets how many goroutines share the stencil rows of a step
// (1 = sequential). Results are bit-identical for every value: each cell
// is computed by the same operations, the random draws stay sequential in
// row-major order, and the per-step counts are integer sums. The default
// depends on the grid size and GOMAXPROCS.
func WithWorkers(n int) Option {
	return func(o *options) { o.workers = max(1, n) }
}

// parallelMinGrid is the smallest grid for which the default uses more
// than one goroutine. Measured on 2 vCPUs (docs/BENCHMARKS.md): with the
// vector kernels a 256 x 256 step takes ~90 µs on one core, and splitting
// it gained nothing on a busy machine (two channel hand-offs per step and
// the shared core eat the gain); from 512 x 512 on it gains ~1.3x. With
// jitter the sequential normal draws dominate and more goroutines only
// add CPU time, so jitter runs stay sequential by default.
const parallelMinGrid = 512

// resolveOptions applies opts over the defaults for cfg.
func resolveOptions(cfg EngineConfig, opts []Option) options {
	o := options{workers: defaultWorkers(cfg)}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func defaultWorkers(cfg EngineConfig) int {
	if cfg.GridSize < parallelMinGrid || cfg.QuantumJitter {
		return 1
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

// workerPool runs the rows of a step on helper goroutines plus the calling
// goroutine. Rows are split into contiguous bands, one per goroutine.
// With jitter, the calling goroutine draws the step's N*N standard normals
// into a buffer (in row-major order, the reference's stream order) while
// the helpers alone compute the stencils (bands split among the helpers
// only, as drawing the normals takes longer than the stencils), then all
// goroutines add the jitter and clamp their bands.
type workerPool struct {
	e            *Engine
	bands        []int // band k is rows [bands[k], bands[k+1])
	stencilBands []int // with jitter: the helpers' bands of the stencil phase
	lap          []rowBuffers
	stats        []rowStats
	noise        []float64
	cmd          []chan phase
	done         chan struct{}
	turing       bool
}

type phase int

const (
	phaseFull    phase = iota // stencil, update, clamp (no jitter)
	phaseStencil              // stencil and update only
	phaseFinish               // jitter from the noise buffer, clamp
)

func newWorkerPool(e *Engine, workers int) *workerPool {
	workers = min(workers, e.n)
	p := &workerPool{
		e:     e,
		bands: make([]int, workers+1),
		lap:   make([]rowBuffers, workers),
		stats: make([]rowStats, workers),
	}
	for k := range workers + 1 {
		p.bands[k] = k * e.n / workers
	}
	for k := range p.lap {
		p.lap[k] = newRowBuffers(e.n)
	}
	if e.cfg.QuantumJitter {
		p.noise = make([]float64, e.n*e.n)
		helpers := max(workers-1, 1)
		p.stencilBands = make([]int, helpers+1)
		for k := range helpers + 1 {
			p.stencilBands[k] = k * e.n / helpers
		}
	}
	return p
}

// start launches the helper goroutines (one per band except the last,
// which the calling goroutine runs).
func (p *workerPool) start() {
	helpers := len(p.lap) - 1
	p.cmd = make([]chan phase, helpers)
	p.done = make(chan struct{}, helpers)
	for k := range helpers {
		p.cmd[k] = make(chan phase, 1)
		go p.loop(k, p.cmd[k])
	}
}

// stop ends the helper goroutines.
func (p *workerPool) stop() {
	for _, c := range p.cmd {
		close(c)
	}
	p.cmd = nil
}

func (p *workerPool) loop(k int, cmd <-chan phase) {
	for ph := range cmd {
		p.stats[k] = p.band(k, ph)
		p.done <- struct{}{}
	}
}

// band runs phase ph on band k.
func (p *workerPool) band(k int, ph phase) rowStats {
	i0, i1 := p.bands[k], p.bands[k+1]
	switch ph {
	case phaseFull:
		return p.e.rows(i0, i1, p.turing, &p.lap[k], true)
	case phaseStencil:
		i0, i1 = p.stencilBands[k], p.stencilBands[k+1]
		return p.e.rows(i0, i1, p.turing, &p.lap[k], false)
	default:
		var st rowStats
		for i := i0; i < i1; i++ {
			st.add(p.e.finishRow(i, p.noise, &p.lap[k]))
		}
		return st
	}
}

// dispatch runs ph on every helper band and own on the calling goroutine,
// then waits for the helpers and returns the summed stats.
func (p *workerPool) dispatch(ph phase, own func() rowStats) rowStats {
	for _, c := range p.cmd {
		c <- ph
	}
	st := own()
	for range p.cmd {
		<-p.done
	}
	for k := range p.cmd {
		st.add(p.stats[k])
	}
	return st
}

// run computes one step's rows and returns the step's counts.
func (p *workerPool) run(turing bool) rowStats {
	p.turing = turing
	last := len(p.lap) - 1
	if !p.e.cfg.QuantumJitter {
		return p.dispatch(phaseFull, func() rowStats { return p.band(last, phaseFull) })
	}
	st := p.dispatch(phaseStencil, func() rowStats {
		// Draw the jitter while the helpers compute the stencils.
		p.e.gen.FillStandardNormal(p.noise)
		return rowStats{}
	})
	st.add(p.dispatch(phaseFinish, func() rowStats { return p.band(last, phaseFinish) }))
	return st
}
