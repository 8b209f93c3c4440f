//go:build !linux

package pipeline

// newYielder returns the portable yielder (see yielder).
func newYielder() *yielder { return &yielder{park: sleepPark} }
