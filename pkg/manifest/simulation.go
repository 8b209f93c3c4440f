package manifest

import (
	"fmt"
	"strconv"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/sim"
)

// Simulation returns the pipeline's parameter defaults (the base every
// message is decoded over) and its size limits. Unset fields keep
// sim.DefaultParams and sim.DefaultLimits; the base is validated against the
// limits so that a bad default fails at start-up, not on every message.
func Simulation(spec *v1alpha1.MFNPipelineSpec) (sim.Params, sim.Limits, error) {
	p, lim := sim.DefaultParams(), sim.DefaultLimits()
	if l := spec.Limits; l != nil {
		if l.MaxGridSize != nil {
			lim.MaxGridSize = int(*l.MaxGridSize)
		}
		if l.MaxSteps != nil {
			lim.MaxSteps = int(*l.MaxSteps)
		}
	}
	d := spec.Simulation
	if d == nil {
		return p, lim, nil
	}
	setInt(&p.GridSize, d.GridSize)
	setInt(&p.Steps, d.Steps)
	setBool(&p.TuringEnabled, d.TuringEnabled)
	setBool(&p.QuantumJitter, d.QuantumJitter)
	if d.Seed != nil {
		seed := *d.Seed
		p.Seed = &seed
	}
	if d.BoundaryCondition != "" {
		p.BoundaryCondition = string(d.BoundaryCondition)
	}
	for _, f := range []struct {
		name string
		dst  *float64
		src  *v1alpha1.Decimal
	}{
		{"alpha", &p.Alpha, d.Alpha},
		{"spikeProbability", &p.SpikeProbability, d.SpikeProbability},
		{"turingThreshold", &p.TuringThreshold, d.TuringThreshold},
		{"jitterVar", &p.JitterVar, d.JitterVar},
		{"dActivator", &p.DActivator, d.DActivator},
		{"dInhibitor", &p.DInhibitor, d.DInhibitor},
		{"rActivator", &p.RActivator, d.RActivator},
		{"rInhibitor", &p.RInhibitor, d.RInhibitor},
	} {
		if f.src == nil {
			continue
		}
		v, err := strconv.ParseFloat(string(*f.src), 64)
		if err != nil {
			return p, lim, fmt.Errorf("spec.simulation.%s: %q is not a decimal number", f.name, string(*f.src))
		}
		*f.dst = v
	}
	if err := p.Validate(lim); err != nil {
		return p, lim, fmt.Errorf("spec.simulation: %w", err)
	}
	return p, lim, nil
}

func setInt(dst *int, src *int32) {
	if src != nil {
		*dst = int(*src)
	}
}

func setBool(dst *bool, src *bool) {
	if src != nil {
		*dst = *src
	}
}
