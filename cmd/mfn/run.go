package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/term"

	"github.com/mfn-io/mfn-operator/pkg/manifest"
	"github.com/mfn-io/mfn-operator/pkg/pipeline"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// exitIncomplete is returned by `mfn run` when some message was neither
// published nor dead-lettered (see runUsage).
const exitIncomplete = 3

func init() {
	register("run", "run a pipeline in-process from manifest files until its source is drained", runRun)
}

const runUsage = `Usage: mfn run -f FILE|DIR [-f ...] [flags]

Loads MFNPipeline, Connector, Publisher and Secret manifests (multi-document
files allowed), resolves the references and runs the pipeline in this process.
Secret references are read from the Secret manifests (stringData or data).
A file connector without watchMode stops when its directory is drained;
otherwise the run lasts until SIGINT/SIGTERM.

Exit codes:
  0  every message was published to every publisher, or its failure envelope
     was accepted by the dead-letter publisher
  1  the pipeline could not run (connection failed, connector error)
  2  invalid flags or manifests
  3  some message was not settled that way: it failed without a dead-letter
     publisher, a publisher or the dead-letter publisher gave it up, or it was
     handed back to the source at shutdown
`

func runRun(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(std.err)
	var files stringList
	var pf pipelineFlags
	fs.Var(&files, "f", "manifest file or directory (repeatable)")
	progress := fs.String("progress", "auto", "live progress line: auto (when stderr is a terminal), always or never")
	listen := fs.String("listen", "", "serve /healthz, /readyz, /metrics and /status on this address while running")
	pf.register(fs, 10*time.Second)
	pf.connectAttempts = 4 // about 7 s of backoff, then exit code 1
	fs.Lookup("log-format").DefValue = "text"
	pf.logFormat = "text"
	fs.Usage = func() {
		fmt.Fprint(std.err, runUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if len(files) == 0 || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	live, err := wantProgress(*progress, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "mfn run: %v\n", err)
		return exitUsage
	}
	var logOut io.Writer = std.err
	var screen *progressScreen
	if live {
		screen = &progressScreen{w: std.err}
		logOut = screen
	}
	log, err := pf.logger(logOut)
	if err != nil {
		fmt.Fprintf(std.err, "mfn run: %v\n", err)
		return exitUsage
	}
	tuneGC()
	set, err := manifest.LoadFiles(files...)
	if err != nil {
		fmt.Fprintf(std.err, "mfn run: %s\n", oneLine(err))
		return exitUsage
	}
	for _, s := range set.Skipped {
		log.Debug("Ignoring manifest of another kind", "doc", s)
	}
	reg := prometheus.NewRegistry()
	env := manifest.Env{Secrets: manifest.LocalSecrets(set.Secrets), Registerer: reg, Logger: log}
	rt, built, err := newRuntime(set, pf, env, workerName())
	if err != nil {
		fmt.Fprintf(std.err, "mfn run: %s\n", oneLine(err))
		return exitUsage
	}
	reg.MustRegister(rt)

	start := time.Now()
	stopProgress := func() {}
	if screen != nil {
		stopProgress = screen.run(rt, start)
	}
	var code int
	if *listen != "" {
		code = serveWorker(ctx, rt, reg, *listen, log)
	} else if err := rt.Run(ctx); err != nil {
		log.Error("Pipeline failed", "err", err)
		code = exitFailure
	}
	stopProgress()
	rep := rt.Status()
	writeSummary(std.out, built.Name, rep, rt.Counters(), time.Since(start))
	if code == exitOK {
		code = runExitCode(rt.Counters(), built.DeadLetter.Publisher != nil)
	}
	fmt.Fprintf(std.out, "exit code %d: %s\n", code, exitMeaning(code))
	return code
}

func wantProgress(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		f, ok := w.(*os.File)
		return ok && term.IsTerminal(int(f.Fd())), nil
	}
	return false, fmt.Errorf("-progress must be auto, always or never, got %q", mode)
}

// runExitCode applies the exit-code rule of runUsage.
func runExitCode(c pipeline.Counters, hasDeadLetter bool) int {
	switch {
	case c.Nacked > 0, c.DeadLetterErrors > 0, c.InFlight > 0:
		return exitIncomplete
	case c.Failed > 0 && !hasDeadLetter:
		return exitIncomplete
	}
	return exitOK
}

func exitMeaning(code int) string {
	switch code {
	case exitOK:
		return "every message was published or dead-lettered"
	case exitFailure:
		return "the pipeline could not run"
	case exitIncomplete:
		return "some messages were not published (see the counts above)"
	}
	return "invalid flags or manifests"
}

func writeSummary(w io.Writer, name string, rep status.Report, c pipeline.Counters, elapsed time.Duration) {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(c.Processed+c.Failed) / s
	}
	fmt.Fprintf(w, "\nPipeline %s finished in %s (%.1f messages/s)\n", name, elapsed.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "  processed      %6d  (result accepted by every publisher)\n", c.Processed)
	fmt.Fprintf(w, "  failed         %6d  (invalid parameters or simulation error)\n", c.Failed)
	fmt.Fprintf(w, "  dead-lettered  %6d\n", c.DeadLettered)
	if c.Undelivered > 0 || c.Nacked > 0 || c.DeadLetterErrors > 0 {
		fmt.Fprintf(w, "  undelivered    %6d  (given up by a publisher)\n", c.Undelivered)
		fmt.Fprintf(w, "  handed back    %6d  (nacked to the source)\n", c.Nacked)
		fmt.Fprintf(w, "  dead-letter errors %2d\n", c.DeadLetterErrors)
	}
	fmt.Fprintf(w, "  connector %-24s %s, received %d\n", componentLabel(rep.Connector), rep.Connector.Status, connReceived(rep.Connector))
	for _, p := range rep.Publishers {
		fmt.Fprintf(w, "  publisher %-24s %s\n", componentLabel(p), publisherLine(p))
	}
	if rep.DeadLetter != nil {
		fmt.Fprintf(w, "  dead-letter %-22s %s\n", componentLabel(*rep.DeadLetter), publisherLine(*rep.DeadLetter))
	}
}

func componentLabel(c status.ComponentReport) string { return c.Name + " (" + c.Kind + ")" }

func connReceived(c status.ComponentReport) int64 {
	if c.Connector == nil {
		return 0
	}
	return c.Connector.MessagesReceived
}

func publisherLine(p status.ComponentReport) string {
	s := "breaker " + p.Breaker.State
	if m := p.Publisher; m != nil {
		s = fmt.Sprintf("sent %d, failed %d, %s", m.MessagesSent, m.MessagesFailed, s)
	}
	if p.LastError != "" {
		s += ", last error: " + p.LastError
	}
	return s
}

// progressScreen redraws one status line in place and lets log records
// through above it.
type progressScreen struct {
	mu   sync.Mutex
	w    io.Writer
	line string
}

// Write implements io.Writer for the logger: clear the line, write the
// record, redraw the line.
func (s *progressScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprint(s.w, "\r\033[K")
	n, err := s.w.Write(p)
	fmt.Fprint(s.w, s.line)
	return n, err
}

func (s *progressScreen) draw(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.line = line
	fmt.Fprint(s.w, "\r\033[K"+line)
}

// run redraws the line every 200 ms until the returned stop is called.
func (s *progressScreen) run(rt *pipeline.Runtime, start time.Time) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			s.draw(progressLine(rt.Status(), rt.Counters(), time.Since(start)))
			select {
			case <-done:
				s.draw("")
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func progressLine(rep status.Report, c pipeline.Counters, elapsed time.Duration) string {
	rate := float64(c.Processed+c.Failed) / max(elapsed.Seconds(), 1e-3)
	var b strings.Builder
	fmt.Fprintf(&b, "%s  processed %d  failed %d  dead-lettered %d  in flight %d  %.1f msg/s  breakers:",
		elapsed.Round(time.Second), c.Processed, c.Failed, c.DeadLettered, c.InFlight, rate)
	for _, p := range rep.Publishers {
		fmt.Fprintf(&b, " %s=%s", p.Name, p.Breaker.State)
	}
	if c.Paused {
		b.WriteString("  [paused]")
	}
	return b.String()
}
