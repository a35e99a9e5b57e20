package settings

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/invalid"
)

func newTestStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "cfg", AppDirName, FileName)
	return NewStore(path, Defaults(filepath.Join(dir, "data"))), dir
}

func TestLoadMissingFileGivesDefaults(t *testing.T) {
	st, dir := newTestStore(t)
	got, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Settings{Theme: ThemeSystem, Concurrency: DefaultConcurrency, DataDir: filepath.Join(dir, "data")}, got)
	_, statErr := os.Stat(st.Path())
	assert.ErrorIs(t, statErr, os.ErrNotExist, "Load must not create the file")
}

func TestSaveThenLoadRoundTrip(t *testing.T) {
	st, dir := newTestStore(t)
	want := Settings{Theme: ThemeDark, Concurrency: 64, DataDir: filepath.Join(dir, "elsewhere")}
	saved, err := st.Save(context.Background(), want)
	require.NoError(t, err)
	assert.Equal(t, want, saved)

	// A second store on the same file (a restarted app) sees the same values.
	got, err := NewStore(st.Path(), st.Defaults()).Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, got)

	raw, err := os.ReadFile(st.Path())
	require.NoError(t, err)
	var onDisk map[string]any
	require.NoError(t, json.Unmarshal(raw, &onDisk))
	assert.Equal(t, map[string]any{"version": float64(1), "theme": "dark", "concurrency": float64(64), "dataDir": want.DataDir}, onDisk)

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(st.Path())
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
}

func TestSaveNormalisesInput(t *testing.T) {
	st, dir := newTestStore(t)
	saved, err := st.Save(context.Background(), Settings{Theme: " Light ", Concurrency: 1, DataDir: "  " + dir + "/a/../b/  "})
	require.NoError(t, err)
	assert.Equal(t, Settings{Theme: ThemeLight, Concurrency: 1, DataDir: filepath.Join(dir, "b")}, saved)
}

func TestSaveRejectsInvalidAndKeepsFile(t *testing.T) {
	st, dir := newTestStore(t)
	good := Settings{Theme: ThemeLight, Concurrency: 8, DataDir: filepath.Join(dir, "d")}
	_, err := st.Save(context.Background(), good)
	require.NoError(t, err)
	before, err := os.ReadFile(st.Path())
	require.NoError(t, err)

	_, err = st.Save(context.Background(), Settings{Theme: "blue", Concurrency: 0, DataDir: "relative/dir"})
	require.Error(t, err)
	assert.ErrorIs(t, err, invalid.ErrInvalid)
	var verr *invalid.Error
	require.ErrorAs(t, err, &verr)
	fields := map[string]string{}
	for _, f := range verr.Fields {
		fields[f.Field] = f.Message
	}
	assert.Contains(t, fields["theme"], `"blue" is not a theme`)
	assert.Contains(t, fields["concurrency"], "from 1 to 256")
	assert.Contains(t, fields["dataDir"], "relative path")

	after, err := os.ReadFile(st.Path())
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "a rejected save must not touch the file")
	assertNoTempFiles(t, filepath.Dir(st.Path()))
}

func TestValidateBounds(t *testing.T) {
	abs := t.TempDir()
	cases := []struct {
		name  string
		in    Settings
		field string // "" = valid
	}{
		{"min concurrency", Settings{ThemeDark, MinConcurrency, abs}, ""},
		{"max concurrency", Settings{ThemeDark, MaxConcurrency, abs}, ""},
		{"above max", Settings{ThemeDark, MaxConcurrency + 1, abs}, "concurrency"},
		{"negative", Settings{ThemeDark, -3, abs}, "concurrency"},
		{"empty theme", Settings{"", 4, abs}, "theme"},
		{"blank data dir", Settings{ThemeSystem, 4, "   "}, "dataDir"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.normalized().Validate()
			if tc.field == "" {
				assert.NoError(t, err)
				return
			}
			var verr *invalid.Error
			require.ErrorAs(t, err, &verr)
			require.Len(t, verr.Fields, 1)
			assert.Equal(t, tc.field, verr.Fields[0].Field)
		})
	}
}

func TestLoadCorruptFileGivesDefaultsAndError(t *testing.T) {
	st, _ := newTestStore(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(st.Path()), 0o700))
	require.NoError(t, os.WriteFile(st.Path(), []byte(`{"theme": "dark", `), 0o600))

	got, err := st.Load(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnreadable)
	assert.Contains(t, err.Error(), st.Path(), "the error names the file to fix")
	assert.Equal(t, st.Defaults(), got)

	raw, err := os.ReadFile(st.Path())
	require.NoError(t, err)
	assert.Equal(t, `{"theme": "dark", `, string(raw), "Load must not rewrite a corrupt file")
}

func TestLoadKeepsValidFieldsAndReportsInvalidOnes(t *testing.T) {
	st, dir := newTestStore(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(st.Path()), 0o700))
	data := filepath.Join(dir, "mine")
	require.NoError(t, os.WriteFile(st.Path(), []byte(`{"version":1,"theme":"neon","concurrency":32,"dataDir":"`+data+`"}`), 0o600))

	got, err := st.Load(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, invalid.ErrInvalid)
	assert.Contains(t, err.Error(), "neon")
	assert.Equal(t, Settings{Theme: ThemeSystem, Concurrency: 32, DataDir: data}, got)
}

func TestLoadFillsMissingFieldsFromDefaults(t *testing.T) {
	st, _ := newTestStore(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(st.Path()), 0o700))
	require.NoError(t, os.WriteFile(st.Path(), []byte(`{"theme":"light","someFutureField":true}`), 0o600))

	got, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Settings{Theme: ThemeLight, Concurrency: DefaultConcurrency, DataDir: st.Defaults().DataDir}, got)
}

func TestConcurrentSavesLeaveOneCompleteFile(t *testing.T) {
	st, dir := newTestStore(t)
	var wg sync.WaitGroup
	for i := 1; i <= 20; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			_, err := st.Save(context.Background(), Settings{Theme: ThemeDark, Concurrency: n, DataDir: filepath.Join(dir, "d")})
			assert.NoError(t, err)
		}(i)
	}
	wg.Wait()
	got, err := st.Load(context.Background())
	require.NoError(t, err)
	assert.True(t, got.Concurrency >= 1 && got.Concurrency <= 20, "got %d", got.Concurrency)
	assertNoTempFiles(t, filepath.Dir(st.Path()))
}

func TestSaveReportsUnwritableLocation(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	require.NoError(t, os.WriteFile(blocker, []byte("x"), 0o600))
	st := NewStore(filepath.Join(blocker, FileName), Defaults(dir))

	_, err := st.Save(context.Background(), Settings{Theme: ThemeLight, Concurrency: 2, DataDir: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "save settings "+filepath.Join(blocker, FileName))
	assert.False(t, errors.Is(err, invalid.ErrInvalid))
}

func TestCancelledContext(t *testing.T) {
	st, dir := newTestStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := st.Save(ctx, Settings{Theme: ThemeLight, Concurrency: 2, DataDir: dir})
	assert.ErrorIs(t, err, context.Canceled)
	_, statErr := os.Stat(st.Path())
	assert.ErrorIs(t, statErr, os.ErrNotExist)
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".tmp"), "leftover temp file %s", e.Name())
	}
}
