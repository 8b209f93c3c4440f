//go:build !linux

package file

import "os"

// aioSync is Linux only (see syncer).
type aioSync struct{}

func newAIOSync() *aioSync                    { return nil }
func (*aioSync) fsync(*os.File) (error, bool) { return nil, false }
func (*aioSync) close()                       {}
