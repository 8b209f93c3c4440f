package features

// Count is the number of features.
const Count = 18

// names lists the canonical feature names in the reference's fixed order.
var names = [Count]string{
	"D_box", "D_r2", "V_min", "V_max", "V_mean", "V_std", "V_skew", "V_kurt",
	"dV_mean", "dV_max", "T_stable", "E_trend", "f_active",
	"N_clusters_low", "N_clusters_med", "N_clusters_high",
	"max_cluster_size", "cluster_size_std",
}

// Vector holds the 18 features. Field order and JSON names are the
// reference's canonical ones; the count-like features are integers so that
// JSON shows them as integers, as the golden data do.
type Vector struct {
	// DBox is the box-counting fractal dimension of the low-threshold mask.
	DBox float64 `json:"D_box"`
	// DR2 is the coefficient of determination of the D_box fit, in [0, 1].
	DR2 float64 `json:"D_r2"`
	// VMin, VMax, VMean, VStd are statistics of the final field in mV.
	VMin  float64 `json:"V_min"`
	VMax  float64 `json:"V_max"`
	VMean float64 `json:"V_mean"`
	VStd  float64 `json:"V_std"`
	// VSkew and VKurt are the population skewness and excess kurtosis.
	VSkew float64 `json:"V_skew"`
	VKurt float64 `json:"V_kurt"`
	// DVMean and DVMax are the mean and max of |V_{t+1} - V_t| in mV.
	DVMean float64 `json:"dV_mean"`
	DVMax  float64 `json:"dV_max"`
	// TStable is the step at which the field became stable (T if never).
	TStable int `json:"T_stable"`
	// ETrend is the least-squares slope of the field energy (mV^2 per step).
	ETrend float64 `json:"E_trend"`
	// FActive is the fraction of cells above the low threshold.
	FActive float64 `json:"f_active"`
	// NClustersLow, NClustersMed, NClustersHigh count the connected
	// components above the three thresholds.
	NClustersLow  int `json:"N_clusters_low"`
	NClustersMed  int `json:"N_clusters_med"`
	NClustersHigh int `json:"N_clusters_high"`
	// MaxClusterSize is the largest low-threshold component (cells).
	MaxClusterSize int `json:"max_cluster_size"`
	// ClusterSizeStd is the population std of the low component sizes.
	ClusterSizeStd float64 `json:"cluster_size_std"`
}

// Names returns the 18 canonical feature names in order.
func Names() []string { return names[:] }

// Values returns the 18 features as doubles in canonical order (the
// reference's array view).
func (v Vector) Values() [Count]float64 {
	return [Count]float64{
		v.DBox, v.DR2, v.VMin, v.VMax, v.VMean, v.VStd, v.VSkew, v.VKurt,
		v.DVMean, v.DVMax, float64(v.TStable), v.ETrend, v.FActive,
		float64(v.NClustersLow), float64(v.NClustersMed), float64(v.NClustersHigh),
		float64(v.MaxClusterSize), v.ClusterSizeStd,
	}
}

// Map returns the features as name -> double (the reference's dict view).
func (v Vector) Map() map[string]float64 {
	vals := v.Values()
	m := make(map[string]float64, Count)
	for i, name := range names {
		m[name] = vals[i]
	}
	return m
}
