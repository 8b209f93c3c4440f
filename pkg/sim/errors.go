package sim

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Sentinel errors for errors.Is.
var (
	// ErrInvalidConfig matches every configuration error: ConfigError,
	// ValueOutOfRangeError and the StabilityError raised by a CFL check.
	ErrInvalidConfig = errors.New("invalid simulation configuration")
	// ErrStability matches StabilityError and NumericalInstabilityError.
	ErrStability = errors.New("numerical stability error")
)

// ConfigError is a failed construction-time check of SimulationConfig
// (Python ValueError) or a negative seed. Its text is the reference message,
// e.g. "alpha must be in (0, 0.25] for CFL stability".
type ConfigError struct {
	Parameter string  // field name, e.g. "alpha"
	Value     float64 // offending value
	Message   string
}

func (e *ConfigError) Error() string { return e.Message }

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// ValueOutOfRangeError is the reference ValueOutOfRangeError of the engine
// config. Its text is the base message followed by
// " (parameter='<p>', value=<v>, min=<min>, max=<max>)", numbers printed as
// Python prints floats.
type ValueOutOfRangeError struct {
	Message   string // base message, e.g. "Grid size must be in [4, 1024]"
	Parameter string
	Value     float64
	Min, Max  float64
}

func (e *ValueOutOfRangeError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	b.WriteString(" (parameter='")
	b.WriteString(e.Parameter)
	b.WriteString("', value=")
	b.WriteString(FormatPyFloat(e.Value))
	b.WriteString(", min=")
	b.WriteString(FormatPyFloat(e.Min))
	b.WriteString(", max=")
	b.WriteString(FormatPyFloat(e.Max))
	b.WriteString(")")
	return b.String()
}

// Is reports whether target is ErrInvalidConfig.
func (e *ValueOutOfRangeError) Is(target error) bool { return target == ErrInvalidConfig }

// StabilityError is the reference StabilityError. The configuration checks
// raise it for a diffusion coefficient or alpha at or above the CFL limit
// (then Parameter names the field); its text is Message followed by
// " (step=<s>, value=<v>)" listing only the parts that are present.
type StabilityError struct {
	Message   string
	Parameter string // set for configuration errors
	Step      int
	HasStep   bool
	Value     float64
	HasValue  bool
}

func (e *StabilityError) Error() string {
	var parts []string
	if e.HasStep {
		parts = append(parts, "step="+strconv.Itoa(e.Step))
	}
	if e.HasValue {
		parts = append(parts, "value="+FormatPyFloat(e.Value))
	}
	if len(parts) == 0 {
		return e.Message
	}
	return e.Message + " (" + strings.Join(parts, ", ") + ")"
}

// Is reports whether target is ErrStability, or ErrInvalidConfig for a
// configuration check.
func (e *StabilityError) Is(target error) bool {
	return target == ErrStability || (target == ErrInvalidConfig && e.Parameter != "")
}

// NumericalInstabilityError reports NaN or infinite values found by the
// per-step stability check, e.g.
//
//	NaN values detected in activator [field='activator', nan_count=16] (step=0)
//
// Field is "field", "activator" or "inhibitor"; exactly one of NaNCount and
// InfCount is non-zero. GridSize is the grid edge N (the array has N*N
// cells).
type NumericalInstabilityError struct {
	Field    string
	NaNCount int
	InfCount int
	Step     int
	GridSize int
}

func (e *NumericalInstabilityError) Error() string {
	kind, key, count := "NaN", "nan_count", e.NaNCount
	if e.NaNCount == 0 {
		kind, key, count = "Inf", "inf_count", e.InfCount
	}
	return kind + " values detected in " + e.Field + " [field='" + e.Field + "', " +
		key + "=" + strconv.Itoa(count) + "] (step=" + strconv.Itoa(e.Step) + ")"
}

// Is reports whether target is ErrStability.
func (e *NumericalInstabilityError) Is(target error) bool { return target == ErrStability }

// FormatPyFloat formats v as Python's repr(float) does: shortest round-trip
// digits, fixed notation with at least one fractional digit when the
// decimal exponent e satisfies -4 <= e < 16, otherwise scientific notation
// with a signed exponent of at least two digits; nan, inf, -inf.
func FormatPyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(v, 'e', -1, 64) // [-]d[.ddd]e±XX
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		es := strconv.Itoa(abs(exp))
		if len(es) < 2 {
			es = "0" + es
		}
		if exp < 0 {
			es = "-" + es
		} else {
			es = "+" + es
		}
		return sign + mant + "e" + es
	}
	var out string
	switch {
	case exp < 0:
		out = "0." + strings.Repeat("0", -exp-1) + digits
	case len(digits) <= exp+1:
		out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	default:
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	return sign + out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
