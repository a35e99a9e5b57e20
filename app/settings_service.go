package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/wailsapp/wails/v2/pkg/options"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"transferhub/backend/settings"
	"transferhub/cloud/invalid"
)

// SettingsStore is what the settings facade needs from backend/settings.
type SettingsStore interface {
	Load(ctx context.Context) (settings.Settings, error)
	Save(ctx context.Context, in settings.Settings) (settings.Settings, error)
	Path() string
	Defaults() settings.Settings
}

// FolderPicker opens a native folder chooser; "" with a nil error means the user cancelled.
type FolderPicker func(ctx context.Context, title, startDir string) (string, error)

// SettingsView is everything the Settings page shows.
type SettingsView struct {
	Settings       settings.Settings `json:"settings"`
	Defaults       settings.Settings `json:"defaults"`
	File           string            `json:"file"`
	MinConcurrency int               `json:"minConcurrency"`
	MaxConcurrency int               `json:"maxConcurrency"`
	// Problem says why the settings file could not be used as it is (unreadable, invalid
	// values replaced by defaults); empty when all is well. Saving replaces the file.
	Problem string `json:"problem"`
}

// SaveResult is either the stored settings or the fields to fix; I/O failures are errors.
type SaveResult struct {
	Settings    settings.Settings    `json:"settings"`
	FieldErrors []invalid.FieldError `json:"fieldErrors"`
}

// SettingsService exposes the user's preferences to the UI.
type SettingsService struct {
	runtimeContext
	store  SettingsStore
	pick   FolderPicker
	logger *slog.Logger

	mu      sync.Mutex
	current settings.Settings
	problem string
}

// NewSettingsService loads the settings right away, so main can size and colour the
// window before Wails starts. A nil picker uses the native Wails dialog.
func NewSettingsService(store SettingsStore, pick FolderPicker, logger *slog.Logger) *SettingsService {
	if pick == nil {
		pick = wailsFolderPicker
	}
	s := &SettingsService{store: store, pick: pick, logger: logger}
	s.reload(context.Background())
	return s
}

func (s *SettingsService) reload(ctx context.Context) {
	cur, err := s.store.Load(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current, s.problem = cur, ""
	if err != nil {
		s.problem = err.Error()
		s.logger.Warn("settings file problem; using defaults where needed", "err", err)
	}
}

// Get returns the current settings, their defaults and bounds, and any problem with the file.
func (s *SettingsService) Get() SettingsView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SettingsView{
		Settings:       s.current,
		Defaults:       s.store.Defaults(),
		File:           s.store.Path(),
		MinConcurrency: settings.MinConcurrency,
		MaxConcurrency: settings.MaxConcurrency,
		Problem:        s.problem,
	}
}

// Save validates and stores the settings. Invalid input comes back as field errors for
// the form (and nothing is written); a failed write is an error.
func (s *SettingsService) Save(in settings.Settings) (SaveResult, error) {
	saved, err := s.store.Save(s.context(), in)
	fe, err := invalid.Fields(err)
	if err != nil {
		return SaveResult{}, fmt.Errorf("settings were not saved: %w", err)
	}
	if len(fe) > 0 {
		return SaveResult{FieldErrors: fe}, nil
	}
	s.mu.Lock()
	s.current, s.problem = saved, ""
	s.mu.Unlock()
	s.logger.Info("settings saved", "file", s.store.Path())
	return SaveResult{Settings: saved, FieldErrors: fe}, nil
}

// ChooseDataDir opens a native folder chooser starting at current; it returns "" when
// the user cancels.
func (s *SettingsService) ChooseDataDir(current string) (string, error) {
	dir, err := s.pick(s.context(), "Choose where Transfer Hub keeps task data", current)
	if err != nil {
		return "", fmt.Errorf("open the folder chooser: %w", err)
	}
	return dir, nil
}

func (s *SettingsService) name() string { return "settings" }

func (s *SettingsService) start(ctx context.Context) error {
	s.setContext(ctx)
	return nil
}

func (s *SettingsService) stop(ctx context.Context) {}

// WindowBackground is the window colour shown before the UI paints, matched to the saved
// theme so a dark-mode user sees no white flash. "system" cannot be resolved before the
// webview starts, so it gets the light background.
func WindowBackground(s *SettingsService) *options.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current.Theme == settings.ThemeDark {
		return &options.RGBA{R: 0x0f, G: 0x14, B: 0x1a, A: 255} // Cloudscape dark page background
	}
	return &options.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 255}
}

func wailsFolderPicker(ctx context.Context, title, startDir string) (string, error) {
	opts := wruntime.OpenDialogOptions{Title: title, CanCreateDirectories: true}
	if startDir != "" && isDir(startDir) {
		opts.DefaultDirectory = startDir
	}
	return wruntime.OpenDirectoryDialog(ctx, opts)
}
