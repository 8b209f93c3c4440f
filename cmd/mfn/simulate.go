package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/sim"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

func init() {
	register("simulate", "run one simulation from a JSON message and print its features", runSimulate)
}

// maxMessageBytes caps the size of the message read by mfn simulate.
const maxMessageBytes = 1 << 20

// simulateOutput is the JSON object printed by mfn simulate.
type simulateOutput struct {
	SimulationID *string         `json:"simulation_id"`
	Params       sim.Params      `json:"params"`
	Features     features.Vector `json:"features"`
	Metrics      sim.Metrics     `json:"metrics"`
	ElapsedMS    float64         `json:"elapsed_ms"`
	Field        [][]float64     `json:"field,omitempty"`
}

const simulateUsage = `Usage: mfn simulate [-f file] [--field] [--features-from history|stream|final] [--max-grid N] [--max-steps N]

Reads one simulation message (a flat JSON object of parameters, or the
envelope {"simulation_id": ..., "simulation_params": {...}}) from the file or
standard input, runs the simulation and prints one JSON object with
simulation_id, params (every effective value), features (the 18 features),
metrics and elapsed_ms. Absent parameters take the reference defaults (seed
absent or null: a non-reproducible seed). Invalid input exits with status 2
and a one-line error naming the key and the rule.

Flags:
`

func runSimulate(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("mfn simulate", flag.ContinueOnError)
	fs.SetOutput(std.err)
	file := fs.String("f", "", "read the message from `file` (default or \"-\": standard input)")
	withField := fs.Bool("field", false, "add the final field (volts) as a list of rows")
	from := fs.String("features-from", sim.FromStream.String(), "compute the features from the full `source`: history, stream (same result, O(N^2) memory) or final (last field only)")
	lim := sim.DefaultLimits()
	fs.IntVar(&lim.MaxGridSize, "max-grid", lim.MaxGridSize, "largest accepted grid_size (at most 1024)")
	fs.IntVar(&lim.MaxSteps, "max-steps", lim.MaxSteps, "largest accepted steps")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), simulateUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	src, err := sim.ParseFeatureSource(*from)
	switch {
	case err != nil:
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected argument %q (the message is read from -f or standard input)", fs.Arg(0))
	case lim.MaxGridSize < 4 || lim.MaxGridSize > 1024:
		err = fmt.Errorf("max-grid must be in [4, 1024], got %d", lim.MaxGridSize)
	case lim.MaxSteps < 1:
		err = fmt.Errorf("max-steps must be at least 1, got %d", lim.MaxSteps)
	}
	if err != nil {
		return simulateFail(std, exitUsage, err)
	}
	raw, err := readSimMessage(*file, std.in)
	if err != nil {
		return simulateFail(std, exitUsage, err)
	}
	id, p, err := sim.DecodeMessage(raw, sim.DefaultParams(), lim)
	if err == nil && src == sim.FromHistory && p.Steps > sim.MaxHistoryValues/(p.GridSize*p.GridSize) {
		err = fmt.Errorf("features-from history: steps * grid_size^2 must be at most %d, got %d * %d^2 (use stream: same features)",
			sim.MaxHistoryValues, p.Steps, p.GridSize)
	}
	if err != nil {
		return simulateFail(std, exitUsage, err)
	}
	res, err := sim.Run(ctx, p, sim.RunOptions{FeaturesFrom: src, KeepField: *withField})
	if err != nil {
		return simulateFail(std, exitFailure, err)
	}
	out := simulateOutput{
		Params:    res.Params,
		Features:  res.Features,
		Metrics:   res.Metrics,
		ElapsedMS: float64(res.Elapsed) / float64(time.Millisecond),
		Field:     fieldRows(res.Field, p.GridSize),
	}
	if id != "" {
		out.SimulationID = &id
	}
	if err := json.NewEncoder(std.out).Encode(out); err != nil {
		return simulateFail(std, exitFailure, fmt.Errorf("writing the result: %w", err))
	}
	return exitOK
}

// readSimMessage reads the message from path ("" or "-": in), at most
// maxMessageBytes.
func readSimMessage(path string, in io.Reader) ([]byte, error) {
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(io.LimitReader(in, maxMessageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the message: %w", err)
	}
	if len(raw) > maxMessageBytes {
		return nil, fmt.Errorf("message: must be at most %d bytes", maxMessageBytes)
	}
	return raw, nil
}

// fieldRows views a flat n x n field as a list of rows (nil for no field).
func fieldRows(field []float64, n int) [][]float64 {
	if field == nil {
		return nil
	}
	r := make([][]float64, n)
	for i := range r {
		r[i] = field[i*n : (i+1)*n : (i+1)*n]
	}
	return r
}

// simulateFail prints err as one line on stderr and returns code.
func simulateFail(std stdio, code int, err error) int {
	msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(err.Error())
	fmt.Fprintf(std.err, "mfn simulate: %s\n", msg)
	return code
}
