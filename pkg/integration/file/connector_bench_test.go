package file

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// BenchmarkConnectorFeed is the file feed's cost per file with its
// defaults, outside any pipeline: claim (rename into processing/), read,
// hand out, and acknowledge (rename into processed/), one file at a time.
// It reports the process's user and system CPU time per file besides the
// wall time: on a 2-core machine this is the share of a simulation the
// feed takes from the workers (docs/BENCHMARKS.md, "Pipeline runtime").
// The inbox holds b.N small parameter files, written and synced before the
// timer starts.
func BenchmarkConnectorFeed(b *testing.B) {
	for _, disposition := range []string{AfterProcessMove, AfterProcessDelete} {
		b.Run(disposition, func(b *testing.B) {
			dir := writeInbox(b)
			c, err := NewConnector(ConnectorOptions{Directory: dir, AfterProcess: disposition}, component.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Connect(b.Context()); err != nil {
				b.Fatal(err)
			}
			out := make(chan *integration.Message)
			errc := make(chan error, 1)
			user0, sys0 := rusage(b)
			b.ResetTimer()
			start := time.Now()
			go func() { errc <- c.Consume(b.Context(), out); close(out) }()
			n := 0
			for m := range out {
				if err := m.Ack(b.Context()); err != nil {
					b.Fatal(err)
				}
				n++
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if err := <-errc; err != nil {
				b.Fatal(err)
			}
			if n != b.N {
				b.Fatalf("handed out %d of %d files", n, b.N)
			}
			user1, sys1 := rusage(b)
			b.ReportMetric(float64(elapsed.Microseconds())/float64(n), "wall_us/file")
			b.ReportMetric(float64((user1-user0).Microseconds())/float64(n), "user_us/file")
			b.ReportMetric(float64((sys1-sys0).Microseconds())/float64(n), "sys_us/file")
		})
	}
}

// BenchmarkFeedSyscallFloor does the same file system work as
// BenchmarkConnectorFeed/move with bare system calls and nothing else:
// rename(2) into processing/, open(2), read(2), close(2), rename(2) into
// processed/. It is the least any feed that claims by rename and moves
// after the acknowledgement (INTEGRATION.md §7.2) can cost on this file
// system; the connector's own cost is the difference.
func BenchmarkFeedSyscallFloor(b *testing.B) {
	dir := writeInbox(b)
	processing, processed := filepath.Join(dir, "processing"), filepath.Join(dir, "processed")
	for _, d := range []string{processing, processed} {
		if err := os.Mkdir(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	names := make([]string, b.N)
	for i := range names {
		names[i] = inboxName(i)
	}
	buf := make([]byte, 4096)
	user0, sys0 := rusage(b)
	b.ResetTimer()
	start := time.Now()
	for _, name := range names {
		claimed := filepath.Join(processing, name)
		if err := syscall.Rename(filepath.Join(dir, name), claimed); err != nil {
			b.Fatal(err)
		}
		fd, err := syscall.Open(claimed, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := syscall.Read(fd, buf); err != nil || n == 0 {
			b.Fatalf("read %s: %d bytes, %v", name, n, err)
		}
		if err := syscall.Close(fd); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Rename(claimed, filepath.Join(processed, name)); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	user1, sys1 := rusage(b)
	b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N), "wall_us/file")
	b.ReportMetric(float64((user1-user0).Microseconds())/float64(b.N), "user_us/file")
	b.ReportMetric(float64((sys1-sys0).Microseconds())/float64(b.N), "sys_us/file")
}

// writeInbox writes b.N small parameter files into a fresh directory and
// syncs them to disk.
func writeInbox(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	for i := range b.N {
		body := fmt.Appendf(nil, `{"simulation_id":"b-%d","grid_size":32,"steps":64,"seed":%d}`, i, i)
		if err := os.WriteFile(filepath.Join(dir, inboxName(i)), body, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	syscall.Sync()
	return dir
}

func inboxName(i int) string { return fmt.Sprintf("p-%08d.json", i) }

func rusage(b *testing.B) (user, sys time.Duration) {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
