//go:build unix && !linux

package taskrun

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// processState checks pid with signal 0. This process's own pid cannot be told apart
// from an earlier process that had it, so it counts as unknown.
func processState(pid int, _ time.Time) holderState {
	if pid == os.Getpid() {
		return unknown
	}
	err := syscall.Kill(pid, 0)
	switch {
	case errors.Is(err, syscall.ESRCH):
		return gone
	case err == nil, errors.Is(err, syscall.EPERM):
		return alive
	}
	return unknown
}
