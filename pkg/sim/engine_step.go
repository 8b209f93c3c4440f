package sim

// This file holds the per-step update (ENGINE.md §4.2-4.3). Every
// floating-point operation is rounded on its own, in the reference's
// order. Products that the reference rounds before adding them to
// something are wrapped in an explicit float64(...) conversion: the Go
// specification guarantees that such a conversion rounds, so the compiler
// cannot fuse the product and the addition into a fused multiply-add
// (which it does on arm64, ppc64le, s390x, riscv64 and on amd64 with
// GOAMD64=v3), which would change the last bit.

// step runs one step s: spike, diffusion, Turing, jitter, clamp, stability
// check. The arrays are swapped at the end.
func (e *Engine) step(s int, turing bool) error {
	u, spiked := e.spike()
	var st rowStats
	if e.workers != nil {
		st = e.workers.run(turing)
	} else {
		st = e.rows(0, e.n, turing, &e.lap, true)
	}
	e.m.TuringActivations += st.turing
	e.m.ClampingEvents += st.clamped
	if e.trace != nil {
		e.trace(stepTrace{step: s, u: u, spike: spiked, turing: st.turing, clamped: st.clamped})
	}
	e.v, e.v2 = e.v2, e.v
	if turing {
		e.a, e.a2 = e.a2, e.a
		e.b, e.b2 = e.b2, e.b
	}
	if e.cfg.CheckStability && st.nan {
		return e.stabilityError(s)
	}
	return nil
}

// spike draws the growth event: u = random(); if u < p, i and j are drawn
// with integers(0, N) and V[i, j] += normal(0.02, 0.005).
func (e *Engine) spike() (u float64, ev spikeEvent) {
	u = e.gen.Random()
	if u < e.cfg.SpikeProbability {
		i := int(e.gen.Integers(int64(e.n)))
		j := int(e.gen.Integers(int64(e.n)))
		m := e.gen.Normal(SpikeMeanV, SpikeStdV)
		e.v[i*e.n+j] += m
		e.m.GrowthEvents++
		return u, spikeEvent{ok: true, i: i, j: j, magnitude: m}
	}
	return u, spikeEvent{}
}

// spikeEvent describes one growth event (for tracing).
type spikeEvent struct {
	ok        bool
	i, j      int
	magnitude float64
}

// stepTrace is what a test hook sees of one step.
type stepTrace struct {
	step    int
	u       float64
	spike   spikeEvent
	turing  int
	clamped int
}

// rowStats are the per-step counts of a range of rows.
type rowStats struct {
	turing  int  // cells with a' > theta
	clamped int  // field cells changed by the clamp
	nan     bool // a NaN remains in V, a or b after the clamps
}

func (r *rowStats) add(o rowStats) {
	r.turing += o.turing
	r.clamped += o.clamped
	r.nan = r.nan || o.nan
}

// rows updates rows [i0, i1) of the next arrays from the current ones and,
// if finish, also adds the jitter (drawn here, row by row, which is the
// reference's row-major stream order) and clamps.
func (e *Engine) rows(i0, i1 int, turing bool, lap *rowBuffers, finish bool) rowStats {
	var st rowStats
	for i := i0; i < i1; i++ {
		e.laplacianRow(lap.v, e.v, i)
		if turing {
			e.laplacianRow(lap.a, e.a, i)
			e.laplacianRow(lap.b, e.b, i)
		}
		// Without jitter the clamp is fused into the update.
		fused := finish && !e.cfg.QuantumJitter
		st.add(e.updateRow(i, turing, lap, fused))
		if finish && !fused {
			st.add(e.finishRow(i, nil, lap))
		}
	}
	return st
}

// neighbourRows returns the rows above and below row i of x under the
// boundary condition.
func (e *Engine) neighbourRows(x []float64, i int) (up, down []float64) {
	n := e.n
	iu, id := i-1, i+1
	switch e.bc {
	case bcNeumann:
		iu, id = max(iu, 0), min(id, n-1)
	case bcDirichlet:
		if iu < 0 {
			up = e.zero
		}
		if id == n {
			down = e.zero
		}
	default: // periodic
		iu, id = (iu+n)%n, id%n
	}
	if up == nil {
		up = x[iu*n : iu*n+n]
	}
	if down == nil {
		down = x[id*n : id*n+n]
	}
	return up, down
}

// laplacianRow writes the 5-point Laplacian of row i of x into dst:
//
//	Lap[i,j] = (((P + Q) + R) + T) - 4*X[i,j]
//
// periodic and Neumann: P, Q, R, T = X[i-1,j], X[i+1,j], X[i,j-1], X[i,j+1]
// Dirichlet:            P, Q, R, T = X[i+1,j], X[i-1,j], X[i,j+1], X[i,j-1]
//
// For Dirichlet P + Q = Q + P exactly (addition is commutative), so only
// the order of R and T differs. 4*X is exact, so a fused multiply-subtract
// would not change the result; the conversion is there anyway so that the
// arm64 build contains no fused operation at all (hack/check-fma.sh).
func (e *Engine) laplacianRow(dst, x []float64, i int) {
	n := e.n
	up, down := e.neighbourRows(x, i)
	cur := x[i*n : i*n+n]
	var left0, rightN float64 // the outside neighbours of columns 0 and n-1
	switch e.bc {
	case bcNeumann:
		left0, rightN = cur[0], cur[n-1]
	case bcDirichlet:
		left0, rightN = 0, 0
	default:
		left0, rightN = cur[n-1], cur[0]
	}
	lapRow(dst, up, cur, down, left0, rightN, e.bc == bcDirichlet)
}

// updateRow computes row i of the next arrays from the Laplacians in lap,
// up to the Turing increment, and clamps the field if clamp is set
// (otherwise finishRow adds the jitter and clamps):
//
//	V' = V + fl(alpha*LV)
//	da = fl(D_a*La) + fl(r_a*(fl(a*(1-a)) - b));  a' = a + da
//	db = fl(D_i*Lb) + fl(r_i*(a - b));            b' = b + db
//	V' = V' + 0.005 where a' > theta (unclipped a'); a, b = clip(a', b', 0, 1)
func (e *Engine) updateRow(i int, turing bool, lap *rowBuffers, clamp bool) rowStats {
	n := e.n
	off := i * n
	v, nv := e.v[off:off+n], e.v2[off:off+n]
	var st rowStats
	if turing {
		st.turing, st.clamped, st.nan = turingRow(nv, v, lap.v, e.a2[off:off+n], e.a[off:off+n], lap.a,
			e.b2[off:off+n], e.b[off:off+n], lap.b, &e.k, clamp)
	} else {
		diffuseRow(nv, v, lap.v, &e.k)
		if clamp {
			st.clamped, st.nan = clampRow(nv, &e.k)
		}
	}
	return st
}

// finishRow adds the jitter to row i of the next field and clamps it. The
// standard normals come from noise (the whole step's buffer, filled in
// row-major order beforehand) or, when noise is nil, are drawn now into
// the row buffer lap.z (rows are finished in row-major order, so the
// stream is the reference's).
func (e *Engine) finishRow(i int, noise []float64, lap *rowBuffers) rowStats {
	n := e.n
	nv := e.v2[i*n : i*n+n]
	if e.cfg.QuantumJitter {
		var z []float64
		if noise == nil {
			z = lap.z[:n]
			e.gen.FillStandardNormal(z)
		} else {
			z = noise[i*n : i*n+n]
		}
		var st rowStats
		st.clamped, st.nan = jitterClampRow(nv, z, &e.k)
		return st
	}
	var st rowStats
	st.clamped, st.nan = clampRow(nv, &e.k)
	return st
}

// stabilityError builds the reference's NumericalInstabilityError for the
// first of field, activator, inhibitor that holds NaN (or, failing that,
// infinite) values.
func (e *Engine) stabilityError(s int) error {
	for _, arr := range []struct {
		name string
		x    []float64
	}{{"field", e.v}, {"activator", e.a}, {"inhibitor", e.b}} {
		nan, inf := 0, 0
		for _, x := range arr.x {
			switch {
			case x != x:
				nan++
			case x-x != 0:
				inf++
			}
		}
		if nan > 0 {
			return &NumericalInstabilityError{Field: arr.name, NaNCount: nan, Step: s, GridSize: e.n}
		}
		if inf > 0 {
			return &NumericalInstabilityError{Field: arr.name, InfCount: inf, Step: s, GridSize: e.n}
		}
	}
	return nil
}
