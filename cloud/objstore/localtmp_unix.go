//go:build unix

package objstore

import (
	"io/fs"
	"os"
	"syscall"
	"time"
)

// A temporary file is locked (flock) by the process writing it, until it is renamed into
// place: a process killed mid-write leaves it unlocked, which is how the next listing
// knows it is garbage (the kernel drops a dead process's locks).

// renameOpen: the temporary file is renamed while still open and locked.
const renameOpen = true

func lockTemp(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// tempStale reports whether the temporary file at path was left by a writer that is
// gone: nobody holds its lock, and it is older than two seconds (a writer takes its
// lock right after creating the file; one that lost the file in that instant fails its
// write, which is retried).
func tempStale(path string, info fs.FileInfo) bool {
	if time.Since(info.ModTime()) < 2*time.Second {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
