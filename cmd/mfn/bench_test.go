package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
	"github.com/mfn-io/mfn-operator/pkg/manifest"
	"github.com/mfn-io/mfn-operator/pkg/pipeline"
	"github.com/mfn-io/mfn-operator/pkg/sim"
)

// Pipeline benchmarks (hack/bench-pipeline.sh). Each op is one message.
// The throughput benchmarks interleave: the b.N messages run as rounds of
// about benchChunk messages (a fresh pipeline each), and before and after
// every round the pure engine bound is measured in the same process: the
// sum over the cores of 1 / (time of one sim.Run of the same parameters on
// one goroutine pinned to that core), i.e. cores / sim time on identical
// cores (see engineBound). A
// round's "pct_of_bound" is its rate against the mean of the bound before
// and after it; the benchmark reports the median over the rounds and the
// range. The host's speed drifts by tens of percent from one second to the
// next, so a single bound measured once before a long run says little
// about the run.

var benchSizes = []struct{ grid, steps int }{{32, 64}, {64, 64}}

// benchInFlight: 0 is the default (pipeline.DefaultInFlightPerWorker ×
// workers = 64 on 2 cores); 32 is the default before it was raised, which
// shows what the window buys when the sink's latency (fsync, broker round
// trip) matters.
var benchInFlight = []int{0, 32}

func benchParams(grid, steps, i int) []byte {
	return fmt.Appendf(nil, `{"simulation_id":"b-%d","grid_size":%d,"steps":%d,"seed":%d}`, i, grid, steps, i)
}

// engineCPU is the CPU time of one simulation in the last engineBound, in
// microseconds (reported next to the pipeline's CPU time per message), and
// coreSpread the ratio of the slowest CPU's simulation time to the
// fastest's.
var engineCPU, coreSpread float64

// engineBound returns the pure engine bound in messages per second: the sum
// over the cores of 1 / (time of one simulation on that core alone). Where
// the process may run on exactly `cores` CPUs (Linux), the engine runs for
// about 100 ms pinned to each in turn; elsewhere it runs 200 ms unpinned and
// the bound is cores / time. On identical cores both are cores × 1/sim
// time. The virtual CPUs of a cloud guest are not always identical: on the
// host of docs/BENCHMARKS.md one vCPU ran the same simulation 1.6 times
// slower than the other, and an unpinned measurement then lands on either,
// giving a bound that two workers could never reach.
func engineBound(b *testing.B, grid, steps int) float64 {
	b.Helper()
	cpus := benchCPUs()
	if cpus == nil {
		per, cpu := engineTime(b, grid, steps, 200*time.Millisecond)
		engineCPU, coreSpread = cpu, 1
		return float64(cores) / per
	}
	var rate, cpuSum, fastest, slowest float64
	for _, c := range cpus {
		unpin, err := pinTo(c)
		if err != nil {
			b.Fatal(err)
		}
		per, cpu := engineTime(b, grid, steps, 100*time.Millisecond)
		unpin()
		rate += 1 / per
		cpuSum += cpu
		if fastest == 0 || per < fastest {
			fastest = per
		}
		slowest = max(slowest, per)
	}
	engineCPU, coreSpread = cpuSum/float64(len(cpus)), slowest/fastest
	return rate
}

// engineTime runs the engine alone on the calling goroutine for about d and
// returns the wall time of one simulation in seconds and its CPU time in
// microseconds.
func engineTime(b *testing.B, grid, steps int, d time.Duration) (per, cpu float64) {
	b.Helper()
	p := sim.DefaultParams()
	p.GridSize, p.Steps = grid, steps
	opt := sim.RunOptions{EngineOptions: []sim.Option{sim.WithWorkers(1)}}
	user0, sys0 := cpuTime(b)
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		seed := int64(n)
		p.Seed = &seed
		if _, err := sim.Run(b.Context(), p, opt); err != nil {
			b.Fatal(err)
		}
		n++
	}
	per = time.Since(start).Seconds() / float64(n)
	user, sys := cpuTime(b)
	return per, float64((user - user0 + sys - sys0).Microseconds()) / float64(n)
}

// parallelEngine runs one goroutine per core of back-to-back sim.Run for
// about 200 ms and returns the messages per second they achieved together:
// the engine alone at full concurrency, without any pipeline.
func parallelEngine(b *testing.B, grid, steps int) float64 {
	b.Helper()
	workers := cores
	counts := make([]int, workers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			p := sim.DefaultParams()
			p.GridSize, p.Steps = grid, steps
			opt := sim.RunOptions{EngineOptions: []sim.Option{sim.WithWorkers(1)}}
			for time.Since(start) < 200*time.Millisecond {
				seed := int64(counts[w])
				p.Seed = &seed
				if _, err := sim.Run(context.Background(), p, opt); err != nil {
					panic(err)
				}
				counts[w]++
			}
		})
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	return float64(total) / time.Since(start).Seconds()
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime(b *testing.B) (user, sys time.Duration) {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// benchChunk is the number of messages of one round of a throughput
// benchmark (benchPaired).
const benchChunk = 500

// roundRun prepares a pipeline over n messages, runs it, and returns what
// it timed (the preparation is not counted).
type roundRun func(b *testing.B, n int) roundResult

// roundResult is the part of a round that was timed: msgs messages in
// elapsed wall time, with the process's user and system CPU time over the
// same span.
type roundResult struct {
	msgs               int
	elapsed, user, sys time.Duration
}

// benchPaired runs the b.N messages in rounds of about benchChunk with the
// engine bound measured between rounds (see the comment at the top) and
// reports the median and range of the rounds' percentages, the engine run
// on every core ("engine ∥") after each round, and the cores the pipeline
// kept busy.
func benchPaired(b *testing.B, grid, steps int, run roundRun) {
	b.Helper()
	rounds := max(1, b.N/benchChunk)
	var pcts, pars []float64
	var elapsed, user, sys time.Duration
	var timedMsgs int
	var engCPU, spread float64
	b.StopTimer()
	before := engineBound(b, grid, steps)
	engCPU += engineCPU
	spread = max(spread, coreSpread)
	for r := range rounds {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		b.StartTimer()
		res := run(b, n)
		b.StopTimer()
		elapsed, user, sys = elapsed+res.elapsed, user+res.user, sys+res.sys
		timedMsgs += res.msgs
		after := engineBound(b, grid, steps)
		engCPU += engineCPU
		spread = max(spread, coreSpread)
		par := parallelEngine(b, grid, steps)
		rate := float64(res.msgs) / res.elapsed.Seconds()
		pcts = append(pcts, 100*rate/((before+after)/2))
		pars = append(pars, 100*rate/par)
		before = after
	}
	slices.Sort(pcts)
	slices.Sort(pars)
	b.ReportMetric(float64(timedMsgs)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(median(pcts), "pct_of_bound")
	b.ReportMetric(pcts[0], "pct_min")
	b.ReportMetric(pcts[len(pcts)-1], "pct_max")
	b.ReportMetric(median(pars), "pct_of_par")
	b.ReportMetric(float64(rounds), "rounds")
	b.ReportMetric(user.Seconds()/elapsed.Seconds(), "user_cores")
	b.ReportMetric(sys.Seconds()/elapsed.Seconds(), "sys_cores")
	b.ReportMetric(float64((user+sys).Microseconds())/float64(timedMsgs), "cpu_us/msg")
	b.ReportMetric(engCPU/float64(rounds+1), "engine_cpu_us/msg")
	b.ReportMetric(spread, "core_spread_max")
}

// median of sorted values.
func median(v []float64) float64 {
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// timed runs f and returns its wall time and the process's CPU time.
func timed(b *testing.B, f func()) (elapsed, user, sys time.Duration) {
	user0, sys0 := cpuTime(b)
	start := time.Now()
	f()
	elapsed = time.Since(start)
	user1, sys1 := cpuTime(b)
	return elapsed, user1 - user0, sys1 - sys0
}

// benchGC applies the collector setting of `mfn run` and `mfn worker` (see
// tuneGC) for the rest of b, so that the engine bound and the pipeline are
// measured under the same GOGC.
func benchGC(b testing.TB) {
	if _, set := os.LookupEnv("GOGC"); !set {
		old := debug.SetGCPercent(defaultGCPercent)
		b.Cleanup(func() { debug.SetGCPercent(old) })
	}
}

func benchRuntime(b testing.TB, yaml string, maxInFlight int) *pipeline.Runtime {
	b.Helper()
	benchGC(b)
	set := manifest.NewSet()
	if err := set.Add([]byte(yaml), b.Name()); err != nil {
		b.Fatal(err)
	}
	pf := pipelineFlags{grace: 5 * time.Second, maxInFlight: maxInFlight}
	rt, _, err := newRuntime(set, pf,
		manifest.Env{Secrets: manifest.LocalSecrets(set.Secrets), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return rt
}

// fileJSONLYAML: the file feed with its default afterProcess (move to
// processed/) → JSON Lines.
func fileJSONLYAML(in, out string) string {
	return pipelineDoc("bench", "in", []string{"out"}, "", "") +
		fileConnectorDoc("in", in, "") +
		jsonlPublisherDoc("out", out, "results.jsonl", "batchSize: 100\nbatchTimeout: 50ms\n")
}

func writeParamFiles(b *testing.B, dir string, n, grid, steps int) {
	b.Helper()
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p-%07d.json", i)), benchParams(grid, steps, i), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPipelineFileToJSONL: `mfn run` file feed → JSON Lines, in-process.
func BenchmarkPipelineFileToJSONL(b *testing.B) {
	for _, sz := range benchSizes {
		for _, mif := range benchInFlight {
			b.Run(fmt.Sprintf("grid%d_steps%d/inflight%d", sz.grid, sz.steps, mif), func(b *testing.B) {
				benchGC(b)
				benchPaired(b, sz.grid, sz.steps, func(b *testing.B, n int) roundResult {
					b.StopTimer()
					dir := b.TempDir()
					in := filepath.Join(dir, "in")
					if err := os.MkdirAll(in, 0o755); err != nil {
						b.Fatal(err)
					}
					writeParamFiles(b, in, n, sz.grid, sz.steps)
					syscall.Sync() // no write-back of the inputs during the measurement
					rt := benchRuntime(b, fileJSONLYAML(in, dir), mif)
					b.StartTimer()
					el, u, sy := timed(b, func() {
						if err := rt.Run(b.Context()); err != nil {
							b.Fatal(err)
						}
					})
					if c := rt.Counters(); c.Processed != int64(n) {
						b.Fatalf("processed %d of %d", c.Processed, n)
					}
					return roundResult{msgs: n, elapsed: el, user: u, sys: sy}
				})
			})
		}
	}
}

// BenchmarkPipelineKafkaToKafka: Kafka (kfake, same process) → Kafka. A
// Kafka pipeline runs indefinitely, so this measures it in steady state:
// one pipeline joins its consumer group and takes a warm-up batch before
// the first round; each round produces its messages to the running
// pipeline and times the middle 80 % of them, from the moment the first
// tenth has been simulated (Counters.Simulated) to the moment nine tenths
// have. What the window leaves out is the feeding, not the pipeline: the
// test's own producer encoding the round (3–5 ms for 1 000 messages, on
// the same two cores, before the first tenth is done), the consumer's
// wake-up from its idle fetch at the start of a round, and the drain at
// the end, where one core finishes the last simulation while the other has
// none left and the last partial batch waits for the publisher's batch
// timeout. Inside the window the results are published while the next
// messages simulate, and the broker's and the publisher's CPU time count.
// The round still waits for all its messages before the engine bound is
// measured with the pipeline idle (its consumer waits in a fetch).
func BenchmarkPipelineKafkaToKafka(b *testing.B) {
	for _, sz := range benchSizes {
		for _, mif := range benchInFlight {
			b.Run(fmt.Sprintf("grid%d_steps%d/inflight%d", sz.grid, sz.steps, mif), func(b *testing.B) {
				benchGC(b)
				c := kafkatest.NewCluster(b, kafkatest.Topic{Name: "params", Partitions: 2}, kafkatest.Topic{Name: "results"})
				rt := benchRuntime(b, pipelineDoc("bench", "in", []string{"out"}, "", "")+
					kafkaConnectorDoc("in", c.Bootstrap(), "params", "bench", "commitInterval: 1s")+
					kafkaPublisherDoc("out", c.Bootstrap(), "results", "batchSize: 100\nbatchTimeout: 20ms\n"), mif)
				ctx, cancel := context.WithCancel(b.Context())
				done := make(chan error, 1)
				go func() { done <- rt.Run(ctx) }()
				defer func() {
					cancel()
					if err := <-done; err != nil {
						b.Error(err)
					}
				}()
				seq := 0
				produce := func(n int) {
					for p := range 2 {
						var vals [][]byte
						for i := p; i < n; i += 2 {
							vals = append(vals, benchParams(sz.grid, sz.steps, seq+i))
						}
						if len(vals) > 0 {
							c.Produce(b, "params", p, vals...)
						}
					}
					seq += n
				}
				// waitSimulated returns when n messages have been simulated, with
				// the time and the process's CPU time then (1 ms polls: both
				// ends of a window are late by the same half millisecond on
				// average, against a window of 80 ms or more).
				waitSimulated := func(n int64) (at time.Time, user, sys time.Duration) {
					for rt.Counters().Simulated < n {
						select {
						case err := <-done:
							b.Fatalf("pipeline stopped: %v", err)
						case <-time.After(time.Millisecond):
						}
					}
					user, sys = cpuTime(b)
					return time.Now(), user, sys
				}
				produce(64) // warm-up: group join, first fetches, connections
				for rt.Counters().Processed < 64 {
					time.Sleep(time.Millisecond)
				}
				benchPaired(b, sz.grid, sz.steps, func(b *testing.B, n int) roundResult {
					base := rt.Counters().Simulated
					lo, hi := int64(n/10), int64(n-n/10)
					produce(n)
					t0, u0, s0 := waitSimulated(base + lo)
					t1, u1, s1 := waitSimulated(base + hi)
					waitSimulated(base + int64(n))
					return roundResult{msgs: int(hi - lo), elapsed: t1.Sub(t0), user: u1 - u0, sys: s1 - s0}
				})
			})
		}
	}
}

// BenchmarkStatusUnderLoad: GET /status over HTTP while both workers
// simulate grid 64 × 64 messages flat out. Reports the p50/p99/max latency.
func BenchmarkStatusUnderLoad(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		b.Fatal(err)
	}
	writeParamFiles(b, in, 12000, 64, 64) // more than the pipeline drains in 5 000 requests
	rt := benchRuntime(b, fileJSONLYAML(in, dir), 0)
	reg := prometheus.NewRegistry()
	reg.MustRegister(rt)
	srv := httptest.NewServer(pipeline.Handler(rt, reg))
	defer srv.Close()
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	for rt.Counters().Processed < 50 {
		time.Sleep(time.Millisecond)
	}
	client := srv.Client()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/status", nil)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	if rt.Counters().InFlight == 0 {
		b.Log("warning: the pipeline was idle at the end of the measurement")
	}
	cancel()
	<-done
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(q(1), "max_ms")
}

// BenchmarkWorkerPeakRSS: peak resident set size of `mfn run` (built
// binary) with 2 workers on grid 128 × 200 steps messages. One op is the
// whole run of 40 messages.
func BenchmarkWorkerPeakRSS(b *testing.B) {
	bin := mfnBinary(b)
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		in := filepath.Join(dir, "in")
		if err := os.MkdirAll(in, 0o755); err != nil {
			b.Fatal(err)
		}
		writeParamFiles(b, in, 40, 128, 200)
		if err := os.WriteFile(filepath.Join(dir, "pipeline.yaml"), []byte(fileJSONLYAML(in, dir)), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cmd := exec.CommandContext(b.Context(), bin, "run", "-f", filepath.Join(dir, "pipeline.yaml"), "-workers", "2", "-progress", "never", "-log-level", "warn")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak_rss_MiB")
	}
}
