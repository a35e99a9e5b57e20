// Package settings holds the desktop app's user preferences (theme, default concurrency,
// data location) and persists them as a small JSON file in the user's config directory.
// It knows nothing about the UI: the app layer exposes it to the frontend.
package settings

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"transferhub/cloud/invalid"
)

// Theme is the colour mode of the user interface.
type Theme string

const (
	ThemeSystem Theme = "system" // follow the operating system's light/dark preference
	ThemeLight  Theme = "light"
	ThemeDark   Theme = "dark"
)

// Concurrency bounds: one transfer at a time is the least useful value; above 256 a single
// machine gains nothing and only risks throttling by the providers.
const (
	MinConcurrency     = 1
	MaxConcurrency     = 256
	DefaultConcurrency = 16
)

// Settings are the user's preferences. The JSON names are the file format and the shape
// the frontend sees; add fields, never rename them.
type Settings struct {
	Theme Theme `json:"theme"`
	// Concurrency is the default number of parallel transfers for a new local task.
	Concurrency int `json:"concurrency"`
	// DataDir is where local task state (the embedded store) lives. Absolute path.
	DataDir string `json:"dataDir"`
}

// Defaults returns the settings a new user starts with; dataDir is the platform's default
// data location (see DefaultDataDir).
func Defaults(dataDir string) Settings {
	return Settings{Theme: ThemeSystem, Concurrency: DefaultConcurrency, DataDir: dataDir}
}

// Validate checks every field and returns an *invalid.Error naming each invalid one.
func (s Settings) Validate() error {
	var l invalid.List
	switch s.Theme {
	case ThemeSystem, ThemeLight, ThemeDark:
	default:
		l.Add("theme", fmt.Sprintf("%q is not a theme; choose light, dark or system", s.Theme))
	}
	if s.Concurrency < MinConcurrency || s.Concurrency > MaxConcurrency {
		l.Add("concurrency", fmt.Sprintf("%d is out of range; enter a whole number from %d to %d", s.Concurrency, MinConcurrency, MaxConcurrency))
	}
	switch {
	case strings.TrimSpace(s.DataDir) == "":
		l.Add("dataDir", "enter a folder for task data")
	case !filepath.IsAbs(s.DataDir):
		l.Add("dataDir", fmt.Sprintf("%q is a relative path; enter a full path such as %s", s.DataDir, exampleAbs()))
	}
	return l.Err("settings")
}

// normalized returns s with surrounding spaces trimmed and the data path cleaned, so that
// equivalent inputs are stored identically.
func (s Settings) normalized() Settings {
	s.Theme = Theme(strings.ToLower(strings.TrimSpace(string(s.Theme))))
	s.DataDir = strings.TrimSpace(s.DataDir)
	if s.DataDir != "" {
		s.DataDir = filepath.Clean(s.DataDir)
	}
	return s
}

func exampleAbs() string {
	if runtime.GOOS == "windows" {
		return `C:\Users\you\TransferHub`
	}
	return "/home/you/transfer-hub"
}
