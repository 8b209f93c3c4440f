package file

import "os"

// syncer fsyncs one file. On Linux it submits the fsync through the
// kernel's asynchronous I/O interface and waits for the completion on an
// eventfd in the network poller (fsync_linux.go), so the goroutine parks
// for the disk's latency instead of holding its P in a system call.
//
// Why: a goroutine in a blocking system call keeps its P until the
// scheduler monitor takes it back, which happens only on the monitor's
// second look (20 µs to 10 ms apart, the longer the quieter the process
// has been). A simulation worker made ready on that P waits meanwhile. In
// the file → JSON Lines pipeline at grid 32 that was 50–100 ms of every
// second spent in fsync with a worker waiting behind it.
//
// Where the asynchronous interface is unavailable (not Linux, io_setup
// refused by a seccomp profile, aio-max-nr exhausted, a file system whose
// fsync cannot be queued) it falls back to os.File.Sync.
type syncer struct {
	f     *os.File
	async *aioSync // nil: f.Sync
}

// newSyncer returns a syncer for f; f must stay open until close.
func newSyncer(f *os.File) *syncer {
	return &syncer{f: f, async: newAIOSync()}
}

// sync flushes f's data and metadata to stable storage. It must not be
// called concurrently for one syncer.
func (s *syncer) sync() error {
	if s.async != nil {
		err, ok := s.async.fsync(s.f)
		if ok {
			return err
		}
		s.async.close() // not supported for this file: plain fsync from now on
		s.async = nil
	}
	return s.f.Sync()
}

// close releases the syncer's kernel resources (not the file).
func (s *syncer) close() {
	if s.async != nil {
		s.async.close()
		s.async = nil
	}
}
