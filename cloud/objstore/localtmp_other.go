//go:build !unix

package objstore

import (
	"io/fs"
	"os"
	"time"
)

// Without flock, a temporary file is taken for a dead writer's once it is a day old.

// renameOpen: the temporary file is closed before it is renamed (Windows refuses to
// rename an open file).
const renameOpen = false

func lockTemp(*os.File) error { return nil }

func tempStale(_ string, info fs.FileInfo) bool { return time.Since(info.ModTime()) > 24*time.Hour }
