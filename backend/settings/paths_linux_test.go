package settings

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultPathsFollowXDG(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "share"))
	p, err := DefaultPaths()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "config", "transfer-hub", "settings.json"), p.File)
	assert.Equal(t, filepath.Join(dir, "share", "transfer-hub"), p.DataDir)

	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", filepath.Join(dir, "home"))
	p, err = DefaultPaths()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "home", ".local", "share", "transfer-hub"), p.DataDir)
}
