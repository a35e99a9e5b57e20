package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"transferhub/backend/atomicfile"
	"transferhub/cloud/invalid"
)

// fileVersion is written as "version" so a later release can migrate older files.
const fileVersion = 1

// ErrUnreadable marks a settings file that exists but cannot be used as a whole (not JSON,
// not readable). Load then returns the defaults; the next Save replaces the file.
var ErrUnreadable = errors.New("settings file unusable")

// fileFormat is the on-disk shape: the settings plus a format version.
type fileFormat struct {
	Version int `json:"version"`
	Settings
}

// Store loads and saves Settings in one JSON file. It is safe for concurrent use.
type Store struct {
	path     string
	defaults Settings
	mu       sync.Mutex // serialises Save so two writers never interleave renames
}

// NewStore returns a store for the file at path. defaults fill fields the file lacks and
// replace values in it that are invalid.
func NewStore(path string, defaults Settings) *Store {
	return &Store{path: path, defaults: defaults}
}

// Path is the settings file's location.
func (s *Store) Path() string { return s.path }

// Defaults are the values a missing file or missing field gets.
func (s *Store) Defaults() Settings { return s.defaults }

// Load reads the settings. A missing file gives the defaults and no error. A file that is
// not valid JSON gives the defaults and an error wrapping ErrUnreadable. A file with some
// invalid values gives the valid ones, the defaults for the others, and an error wrapping
// an *invalid.Error that names them. The file itself is never modified by Load.
func (s *Store) Load(ctx context.Context) (Settings, error) {
	if err := ctx.Err(); err != nil {
		return s.defaults, err
	}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s.defaults, nil
	}
	if err != nil {
		return s.defaults, fmt.Errorf("read settings %s: %w: %w", s.path, ErrUnreadable, err)
	}
	f := fileFormat{Settings: s.defaults}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return s.defaults, fmt.Errorf("read settings %s: %w: not valid JSON: %w", s.path, ErrUnreadable, err)
	}
	got := f.Settings.normalized()
	if err := got.Validate(); err != nil {
		var verr *invalid.Error
		if errors.As(err, &verr) {
			for _, fe := range verr.Fields {
				got = s.withDefault(got, fe.Field)
			}
		}
		return got, fmt.Errorf("read settings %s (using defaults for the invalid values): %w", s.path, err)
	}
	return got, nil
}

func (s *Store) withDefault(in Settings, field string) Settings {
	switch field {
	case "theme":
		in.Theme = s.defaults.Theme
	case "concurrency":
		in.Concurrency = s.defaults.Concurrency
	case "dataDir":
		in.DataDir = s.defaults.DataDir
	}
	return in
}

// Save validates in and writes it atomically (temp file in the same directory, fsync,
// rename), so a crash leaves either the old file or the new one, never half of one. It
// returns the settings as stored (trimmed, cleaned paths). Invalid input leaves the file
// untouched and returns an *invalid.Error.
func (s *Store) Save(ctx context.Context, in Settings) (Settings, error) {
	if err := ctx.Err(); err != nil {
		return Settings{}, err
	}
	in = in.normalized()
	if err := in.Validate(); err != nil {
		return Settings{}, err
	}
	data, err := json.MarshalIndent(fileFormat{Version: fileVersion, Settings: in}, "", "  ")
	if err != nil {
		return Settings{}, fmt.Errorf("encode settings: %w", err)
	}
	data = append(data, '\n')

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := atomicfile.Write(s.path, data, 0o600); err != nil {
		return Settings{}, fmt.Errorf("save settings %s: %w", s.path, err)
	}
	return in, nil
}
