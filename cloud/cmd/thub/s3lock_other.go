//go:build !unix

package main

import (
	"fmt"
	"os"
)

// lockFile holds path open exclusively (Windows refuses a second exclusive open).
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("another thub process may be running this task (lock %s): %w", path, err)
	}
	return func() { f.Close() }, nil
}
