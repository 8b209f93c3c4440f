//go:build !linux

package main

import "errors"

// benchCPUs: CPU affinity is only used on Linux.
func benchCPUs() []int { return nil }

func pinTo(int) (func(), error) { return nil, errors.New("CPU affinity is only used on Linux") }
