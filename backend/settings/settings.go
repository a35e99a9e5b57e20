// Package settings holds the desktop app's user preferences (theme, default concurrency,
// data location) and persists them as a small JSON file in the user's config directory.
// It knows nothing about the UI: the app layer exposes it to the frontend.
package settings

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
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

// ErrInvalid marks a validation failure; the error text says which field and how to fix it.
var ErrInvalid = errors.New("invalid settings")

// FieldError is one invalid field with a message a user can act on.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field at once, so a form can mark them all.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Field + ": " + f.Message
	}
	return "invalid settings: " + strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for a *ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Defaults returns the settings a new user starts with; dataDir is the platform's default
// data location (see DefaultDataDir).
func Defaults(dataDir string) Settings {
	return Settings{Theme: ThemeSystem, Concurrency: DefaultConcurrency, DataDir: dataDir}
}

// Validate checks every field and returns a *ValidationError naming each invalid one.
func (s Settings) Validate() error {
	var fields []FieldError
	switch s.Theme {
	case ThemeSystem, ThemeLight, ThemeDark:
	default:
		fields = append(fields, FieldError{"theme", fmt.Sprintf("%q is not a theme; choose light, dark or system", s.Theme)})
	}
	if s.Concurrency < MinConcurrency || s.Concurrency > MaxConcurrency {
		fields = append(fields, FieldError{"concurrency",
			fmt.Sprintf("%d is out of range; enter a whole number from %d to %d", s.Concurrency, MinConcurrency, MaxConcurrency)})
	}
	switch {
	case strings.TrimSpace(s.DataDir) == "":
		fields = append(fields, FieldError{"dataDir", "enter a folder for task data"})
	case !filepath.IsAbs(s.DataDir):
		fields = append(fields, FieldError{"dataDir", fmt.Sprintf("%q is a relative path; enter a full path such as %s", s.DataDir, exampleAbs())})
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
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
