package features_test

import (
	"fmt"

	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// A history of three 4 x 4 snapshots fed one at a time: the field rises by
// 1 mV a step and one cell is active (above -60 mV) at the end.
func ExampleStream() {
	const n = 4
	st, err := features.NewStream(n, features.DefaultConfig())
	if err != nil {
		panic(err)
	}
	for s := range 3 {
		field := make([]float64, n*n)
		for k := range field {
			field[k] = -0.070 + 0.001*float64(s)
		}
		if s == 2 {
			field[5] = -0.030
		}
		if err := st.Add(field); err != nil {
			panic(err)
		}
	}
	v, err := st.Features()
	if err != nil {
		panic(err)
	}
	fmt.Printf("T_stable=%d f_active=%.4f clusters=%d dV_max=%.3f mV\n", v.TStable, v.FActive, v.NClustersLow, v.DVMax)
	// Output: T_stable=3 f_active=0.0625 clusters=1 dV_max=39.000 mV
}
