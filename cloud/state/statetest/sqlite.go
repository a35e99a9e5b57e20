package statetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/state/sqlite"
)

// SQLite opens the state file at path for a test ("": a fresh one in the test's
// temporary directory) and closes it when the test ends; closing it earlier is fine.
func SQLite(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "state.db")
	}
	db, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
