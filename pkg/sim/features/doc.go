// Package features computes the 18 MFN fractal, statistical, temporal and
// structural features of a potential field or of a field history, exactly as
// the reference Python extractor (analytics/fractal_features.py) does.
//
// Fields are flat row-major []float64 slices of N*N values in volts; a
// history of T snapshots is T fields back to back. Sums, means and standard
// deviations follow numpy's summation order (package reduce), so most
// features are bit-identical to the reference; D_box, D_r2, V_skew, V_kurt
// and E_trend come from least-squares fits and powers and agree to about
// 1e-15 relative (ENGINE.md §8).
//
// # History and streaming
//
// [FromHistory] takes the whole (T, N, N) history, as the reference does.
// [Stream] gives the same result (bit for bit) from the snapshots fed one at
// a time, keeping O(N^2) memory plus two scalars per step:
//
//	st, err := features.NewStream(n, features.DefaultConfig())
//	for each step {
//		if err := st.Add(field); err != nil { ... }
//	}
//	v, err := st.Features()
//
// [FromField] evaluates a single snapshot (temporal features are zero).
package features
