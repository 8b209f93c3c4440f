package integration

import "github.com/mfn-io/mfn-operator/pkg/status"

// ComponentSnapshot is a point-in-time copy of a component's status, breaker
// state and metrics. It is the same type the worker serves on /status, so the
// runtime reports it without translation.
type ComponentSnapshot = status.ComponentReport
