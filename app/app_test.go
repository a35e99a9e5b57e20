package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/settings"
	"transferhub/cloud/version"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestAppServiceInfo(t *testing.T) {
	a := NewAppService()
	info := a.Info()
	assert.Equal(t, "Transfer Hub", info.Name)
	assert.Equal(t, version.Version, info.Version)
	assert.Equal(t, version.Version, a.Version())
	assert.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, info.Platform)
	assert.Equal(t, runtime.Version(), info.GoVersion)
	assert.NotEmpty(t, info.WailsVersion)
}

func TestModuleVersion(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{
		{Path: "example.com/other", Version: "v1.0.0"},
		{Path: "github.com/wailsapp/wails/v2", Version: "v2.9.2"},
		{Path: "example.com/replaced", Version: "v1.0.0", Replace: &debug.Module{Path: "../fork", Version: "v1.0.1"}},
	}}
	read := func() (*debug.BuildInfo, bool) { return bi, true }
	assert.Equal(t, "v2.9.2", moduleVersion(read, "github.com/wailsapp/wails/v2"))
	assert.Equal(t, "v1.0.1", moduleVersion(read, "example.com/replaced"))
	assert.Equal(t, "unknown", moduleVersion(read, "example.com/absent"))
	assert.Equal(t, "unknown", moduleVersion(func() (*debug.BuildInfo, bool) { return nil, false }, "example.com/other"))
}

// recorder logs the lifecycle calls it sees, to check Start/Stop ordering.
type recorder struct {
	id    string
	calls *[]string
	err   error
}

func (r recorder) name() string { return r.id }
func (r recorder) start(ctx context.Context) error {
	*r.calls = append(*r.calls, "start "+r.id)
	return r.err
}
func (r recorder) stop(ctx context.Context) { *r.calls = append(*r.calls, "stop "+r.id) }

func TestStartInOrderStopInReverseAndSurviveAFailure(t *testing.T) {
	var calls []string
	a := recorder{"a", &calls, nil}
	b := recorder{"b", &calls, assert.AnError}
	c := recorder{"c", &calls, nil}
	Start(context.Background(), quietLogger(), a, b, c)
	Stop(context.Background(), a, b, c)
	assert.Equal(t, []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}, calls)
}

func newSettingsService(t *testing.T, pick FolderPicker) (*SettingsService, *settings.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st := settings.NewStore(filepath.Join(dir, "cfg", "settings.json"), settings.Defaults(filepath.Join(dir, "data")))
	return NewSettingsService(st, pick, quietLogger()), st, dir
}

func TestSettingsServiceGetDefaults(t *testing.T) {
	svc, st, _ := newSettingsService(t, nil)
	v := svc.Get()
	assert.Equal(t, st.Defaults(), v.Settings)
	assert.Equal(t, st.Defaults(), v.Defaults)
	assert.Equal(t, st.Path(), v.File)
	assert.Equal(t, 1, v.MinConcurrency)
	assert.Equal(t, 256, v.MaxConcurrency)
	assert.Empty(t, v.Problem)
}

func TestSettingsServiceSavePersistsAndUpdatesView(t *testing.T) {
	svc, st, dir := newSettingsService(t, nil)
	require.NoError(t, svc.start(context.Background()))
	want := settings.Settings{Theme: settings.ThemeDark, Concurrency: 48, DataDir: filepath.Join(dir, "tasks")}
	res, err := svc.Save(want)
	require.NoError(t, err)
	assert.Empty(t, res.FieldErrors)
	assert.Equal(t, want, res.Settings)
	assert.Equal(t, want, svc.Get().Settings)

	// A new service on the same file (app restart) starts with the saved values.
	again := NewSettingsService(st, nil, quietLogger())
	assert.Equal(t, want, again.Get().Settings)
	assert.Equal(t, uint8(0x0f), WindowBackground(again).R, "dark theme: dark window background")
	assert.Equal(t, uint8(0xff), WindowBackground(svcWithTheme(t, settings.ThemeSystem)).R)
}

func svcWithTheme(t *testing.T, theme settings.Theme) *SettingsService {
	svc, _, dir := newSettingsService(t, nil)
	_, err := svc.Save(settings.Settings{Theme: theme, Concurrency: 2, DataDir: dir})
	require.NoError(t, err)
	return svc
}

func TestSettingsServiceSaveInvalidReturnsFieldErrors(t *testing.T) {
	svc, st, _ := newSettingsService(t, nil)
	res, err := svc.Save(settings.Settings{Theme: "dark", Concurrency: 1000, DataDir: "rel"})
	require.NoError(t, err, "validation problems are field errors for the form, not a failed call")
	fields := map[string]bool{}
	for _, f := range res.FieldErrors {
		fields[f.Field] = true
		assert.NotEmpty(t, f.Message)
	}
	assert.Equal(t, map[string]bool{"concurrency": true, "dataDir": true}, fields)
	_, statErr := os.Stat(st.Path())
	assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing written")
	assert.Equal(t, st.Defaults(), svc.Get().Settings)
}

func TestSettingsServiceSaveWriteFailureIsAnError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	st := settings.NewStore(filepath.Join(blocker, "settings.json"), settings.Defaults(dir))
	svc := NewSettingsService(st, nil, quietLogger())
	_, err := svc.Save(settings.Settings{Theme: "light", Concurrency: 4, DataDir: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "settings were not saved")
}

func TestSettingsServiceReportsCorruptFileAndSaveClearsIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.json")
	require.NoError(t, os.WriteFile(path, []byte("not json"), 0o600))
	st := settings.NewStore(path, settings.Defaults(dir))
	svc := NewSettingsService(st, nil, quietLogger())

	v := svc.Get()
	assert.Contains(t, v.Problem, path)
	assert.Contains(t, v.Problem, "not valid JSON")
	assert.Equal(t, st.Defaults(), v.Settings)

	_, err := svc.Save(settings.Settings{Theme: "light", Concurrency: 4, DataDir: dir})
	require.NoError(t, err)
	assert.Empty(t, svc.Get().Problem)
}

func TestChooseDataDirUsesPickerWithCurrentDir(t *testing.T) {
	var gotTitle, gotStart string
	dir := t.TempDir()
	svc, _, _ := newSettingsService(t, func(ctx context.Context, title, start string) (string, error) {
		gotTitle, gotStart = title, start
		return filepath.Join(dir, "picked"), nil
	})
	got, err := svc.ChooseDataDir("/somewhere")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "picked"), got)
	assert.Equal(t, "/somewhere", gotStart)
	assert.Contains(t, gotTitle, "task data")

	failing, _, _ := newSettingsService(t, func(context.Context, string, string) (string, error) { return "", assert.AnError })
	_, err = failing.ChooseDataDir("")
	assert.ErrorIs(t, err, assert.AnError)
}
