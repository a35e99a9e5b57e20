package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"transferhub/backend/atomicfile"
)

// FileName is the profiles file's name inside the app's config folder.
const FileName = "profiles.json"

// fileVersion is written as "version" so a later release can migrate older files.
const fileVersion = 1

// ErrUnreadable marks a profiles file that exists but cannot be used (not JSON, a newer
// format, unreadable). Nothing is written over such a file: the user's profiles would be lost.
var ErrUnreadable = errors.New("credentials file unusable")

// DefaultFile is os.UserConfigDir()/transfer-hub/profiles.json.
func DefaultFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config folder: %w", err)
	}
	return filepath.Join(dir, "transfer-hub", FileName), nil
}

type fileFormat struct {
	Version  int       `json:"version"`
	Profiles []Profile `json:"profiles"`
}

// readFile loads the profiles; a missing file is an empty list.
func readFile(path string) ([]Profile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w: %w", path, ErrUnreadable, err)
	}
	var f fileFormat
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("read %s: %w: not valid JSON (%v); repair or move the file away, then add the profiles again", path, ErrUnreadable, err)
	}
	if f.Version > fileVersion {
		return nil, fmt.Errorf("read %s: %w: written by a newer Transfer Hub (format %d, this one reads %d); update the app", path, ErrUnreadable, f.Version, fileVersion)
	}
	return f.Profiles, nil
}

// writeFile replaces the profiles file atomically (temp file in the same folder, fsync,
// rename), readable by the user only, so a crash leaves the old file or the new one.
func writeFile(path string, profiles []Profile) error {
	if profiles == nil {
		profiles = []Profile{}
	}
	data, err := json.MarshalIndent(fileFormat{Version: fileVersion, Profiles: profiles}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode profiles: %w", err)
	}
	data = append(data, '\n')
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
