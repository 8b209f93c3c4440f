package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mfn-io/mfn-operator/pkg/manifest"
	"github.com/mfn-io/mfn-operator/pkg/pipeline"
)

func init() {
	register("worker", "run one pipeline from its manifests and serve /healthz, /readyz, /metrics, /status", runWorker)
}

// pipelineFlags are the runtime flags shared by `mfn worker` and `mfn run`.
type pipelineFlags struct {
	pipeline    string
	workers     int
	maxInFlight int
	grace       time.Duration
	logFormat   string
	logLevel    string
	// connectAttempts bounds connection attempts (0: retry until stopped,
	// the worker's behaviour; `mfn run` gives up after a few).
	connectAttempts int
}

func (p *pipelineFlags) register(fs *flag.FlagSet, defaultGrace time.Duration) {
	fs.StringVar(&p.pipeline, "pipeline", "", "name of the MFNPipeline to run (needed only when the manifests hold several)")
	fs.IntVar(&p.workers, "workers", 0, "concurrent simulations (default: spec.concurrency, else GOMAXPROCS)")
	fs.IntVar(&p.maxInFlight, "max-in-flight", 0, fmt.Sprintf("messages taken from the connector and not yet acknowledged (default %d × workers)", pipeline.DefaultInFlightPerWorker))
	fs.DurationVar(&p.grace, "shutdown-grace", defaultGrace, "time to finish in-flight messages after SIGTERM before they are handed back")
	fs.StringVar(&p.logFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&p.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func (p *pipelineFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(p.logLevel)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch p.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format must be json or text, got %q", p.logFormat)
}

// newRuntime resolves and builds the pipeline of set and wraps it in a runtime.
func newRuntime(set *manifest.Set, pf pipelineFlags, env manifest.Env, worker string) (*pipeline.Runtime, *manifest.Built, error) {
	if env.Worker == "" {
		env.Worker = worker
	}
	resolved, err := set.Resolve(pf.pipeline)
	if err != nil {
		return nil, nil, err
	}
	built, err := manifest.DefaultRegistry().Build(resolved, env)
	if err != nil {
		return nil, nil, err
	}
	rt, err := pipeline.New(pipeline.Config{
		Name:            built.Name,
		Worker:          worker,
		Connector:       built.Connector,
		Publishers:      built.Publishers,
		DeadLetter:      built.DeadLetter,
		Processor:       pipeline.NewSimProcessor(pipeline.SimConfig{Params: built.Params, Limits: built.Limits}),
		Workers:         workersOf(built, pf),
		MaxInFlight:     pf.maxInFlight,
		ShutdownGrace:   pf.grace,
		ConnectAttempts: pf.connectAttempts,
		Logger:          env.Logger,
	})
	if err != nil {
		return nil, nil, err
	}
	return rt, built, nil
}

// defaultGCPercent replaces Go's GOGC=100 for worker processes unless GOGC
// is set. Every simulation allocates its grids afresh, so with a small live
// heap the collector would run many times per second; 400 cut that overhead
// enough to raise file → JSON Lines throughput by about 30 % at grid 32 on 2
// cores (docs/BENCHMARKS.md, "Pipeline runtime"), for a peak heap a few times
// the live set (tens of MiB).
const defaultGCPercent = 400

// cores is GOMAXPROCS as the process started (the CPUs, or the container's
// CPU limit): the default number of workers.
var cores = runtime.GOMAXPROCS(0)

// workersOf is the number of workers: the -workers flag, else
// spec.concurrency, else one per core.
func workersOf(built *manifest.Built, pf pipelineFlags) int {
	switch {
	case pf.workers != 0:
		return pf.workers
	case built.Workers != 0:
		return built.Workers
	}
	return cores
}

func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// workerName is $POD_NAME in a cluster, the host name elsewhere.
func workerName() string {
	if n := os.Getenv("POD_NAME"); n != "" {
		return n
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "unknown"
}

func runWorker(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(std.err)
	var pf pipelineFlags
	config := fs.String("config", "", "pipeline manifests: a file (the operator mounts ConfigMap key pipeline.yaml) or directory")
	listen := fs.String("listen", ":8080", "address of the HTTP server for /healthz, /readyz, /metrics and /status")
	pf.register(fs, 25*time.Second)
	fs.Usage = func() {
		fmt.Fprintln(std.err, "Usage: mfn worker -config FILE [flags]")
		fmt.Fprintln(std.err, "\nRuns the MFNPipeline of FILE until SIGTERM. Secret references are read from the")
		fmt.Fprintln(std.err, "environment variables MFN_SECRET_<SECRET>__<KEY> set by the operator.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *config == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	log, err := pf.logger(std.err)
	if err != nil {
		fmt.Fprintf(std.err, "mfn worker: %v\n", err)
		return exitUsage
	}
	tuneGC()
	set, err := manifest.LoadFiles(*config)
	if err != nil {
		log.Error("Invalid pipeline configuration", "err", err)
		return exitUsage
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	env := manifest.Env{Secrets: manifest.EnvSecrets{}, Registerer: reg, Logger: log}
	rt, _, err := newRuntime(set, pf, env, workerName())
	if err != nil {
		log.Error("Invalid pipeline configuration", "err", err)
		return exitUsage
	}
	reg.MustRegister(rt)
	return serveWorker(ctx, rt, reg, *listen, log)
}

// serveWorker runs rt with the HTTP endpoints on listen until rt stops.
func serveWorker(ctx context.Context, rt *pipeline.Runtime, reg *prometheus.Registry, listen string, log *slog.Logger) int {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", listen)
	if err != nil {
		log.Error("Cannot listen", "addr", listen, "err", err)
		return exitFailure
	}
	srv := &http.Server{Handler: pipeline.Handler(rt, reg), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "err", err)
		}
	}()
	log.Info("Worker started", "addr", ln.Addr().String(), "worker", workerName())
	runErr := rt.Run(ctx)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	c := rt.Counters()
	log.Info("Worker stopped", "processed", c.Processed, "failed", c.Failed, "deadLettered", c.DeadLettered,
		"undelivered", c.Undelivered, "nacked", c.Nacked)
	if runErr != nil {
		log.Error("Pipeline failed", "err", runErr)
		return exitFailure
	}
	return exitOK
}

// oneLine flattens a multi-line error for terminal output.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
