package features

import (
	"fmt"
	"math"
)

// MaxNumScales is the largest accepted Config.NumScales. The reference has
// no upper bound (its stricter optional validator allows 20); this bound
// keeps the box-size computation small.
const MaxNumScales = 64

// Config is the reference FeatureConfig (ENGINE.md §6.1). Start from
// DefaultConfig: the zero value is not valid (MinBoxSize and NumScales are
// below their minimum). JSON field names are the reference's.
type Config struct {
	// MinBoxSize is the smallest box edge in cells (>= 1).
	MinBoxSize int `json:"min_box_size"`
	// MaxBoxSize is the largest box edge in cells; 0 (JSON null) means
	// automatic: min(MinBoxSize * 2^(NumScales-1), N div 2).
	MaxBoxSize int `json:"max_box_size"`
	// NumScales is the number of geometric box scales (2..MaxNumScales).
	NumScales int `json:"num_scales"`
	// ThresholdLowMV is the activity threshold (mV) for D_box, f_active and
	// the low clusters; ThresholdMedMV and ThresholdHighMV are the
	// thresholds of N_clusters_med and N_clusters_high.
	ThresholdLowMV  float64 `json:"threshold_low_mv"`
	ThresholdMedMV  float64 `json:"threshold_med_mv"`
	ThresholdHighMV float64 `json:"threshold_high_mv"`
	// StabilityThresholdMV is the std of the per-step change (mV) below
	// which a step counts as stable.
	StabilityThresholdMV float64 `json:"stability_threshold_mv"`
	// StabilityWindow is the number of consecutive stable steps needed (>= 1).
	StabilityWindow int `json:"stability_window"`
	// Connectivity is the cluster neighbourhood, 4 or 8.
	Connectivity int `json:"connectivity"`
}

// DefaultConfig returns the reference defaults: boxes from 2 cells over 5
// scales (automatic maximum), thresholds -60/-50/-40 mV, stability below
// 0.001 mV for 10 steps, 4-connectivity.
func DefaultConfig() Config {
	return Config{
		MinBoxSize:           2,
		NumScales:            5,
		ThresholdLowMV:       -60.0,
		ThresholdMedMV:       -50.0,
		ThresholdHighMV:      -40.0,
		StabilityThresholdMV: 0.001,
		StabilityWindow:      10,
		Connectivity:         4,
	}
}

// Validate reports the first field that is out of range, naming the field
// and the rule. It checks the reference's rules (min_box_size >= 1,
// num_scales >= 2, connectivity 4 or 8) plus the port's own: max_box_size
// >= 0, num_scales <= MaxNumScales, stability_window >= 1 and finite
// thresholds.
func (c Config) Validate() error {
	switch {
	case c.MinBoxSize < 1:
		return fmt.Errorf("features: min_box_size must be at least 1, got %d", c.MinBoxSize)
	case c.MaxBoxSize < 0:
		return fmt.Errorf("features: max_box_size must be 0 (automatic) or positive, got %d", c.MaxBoxSize)
	case c.NumScales < 2:
		return fmt.Errorf("features: num_scales must be at least 2, got %d", c.NumScales)
	case c.NumScales > MaxNumScales:
		return fmt.Errorf("features: num_scales must be at most %d, got %d", MaxNumScales, c.NumScales)
	case c.Connectivity != 4 && c.Connectivity != 8:
		return fmt.Errorf("features: connectivity must be 4 or 8, got %d", c.Connectivity)
	case c.StabilityWindow < 1:
		return fmt.Errorf("features: stability_window must be at least 1, got %d", c.StabilityWindow)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"threshold_low_mv", c.ThresholdLowMV},
		{"threshold_med_mv", c.ThresholdMedMV},
		{"threshold_high_mv", c.ThresholdHighMV},
		{"stability_threshold_mv", c.StabilityThresholdMV},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("features: %s must be finite, got %v", f.name, f.v)
		}
	}
	return nil
}

// isDefaultBoxes reports whether the box-size parameters are the defaults,
// for which the authoritative table of ENGINE.md §6.3 applies.
func (c Config) isDefaultBoxes() bool {
	return c.MinBoxSize == 2 && c.MaxBoxSize == 0 && c.NumScales == 5
}
