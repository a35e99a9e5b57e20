package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// AppDirName is the folder name used under the platform's config and data directories.
const AppDirName = "transfer-hub"

// FileName is the settings file's name inside the config folder.
const FileName = "settings.json"

// Paths are where the app keeps its settings file and, by default, its task data.
type Paths struct {
	File    string // <user config dir>/transfer-hub/settings.json
	DataDir string // default for Settings.DataDir
}

// DefaultPaths resolves the platform locations:
//   - settings: os.UserConfigDir()/transfer-hub/settings.json
//     (Linux $XDG_CONFIG_HOME or ~/.config, macOS ~/Library/Application Support, Windows %AppData%)
//   - data: Linux $XDG_DATA_HOME or ~/.local/share, macOS ~/Library/Application Support,
//     Windows %LocalAppData% (task state is machine-local, so not the roaming profile).
func DefaultPaths() (Paths, error) {
	cfg, err := os.UserConfigDir()
	if err != nil {
		return Paths{}, fmt.Errorf("find the user config folder: %w", err)
	}
	data, err := dataBase(cfg)
	if err != nil {
		return Paths{}, err
	}
	return Paths{
		File:    filepath.Join(cfg, AppDirName, FileName),
		DataDir: filepath.Join(data, AppDirName),
	}, nil
}

func dataBase(cfgDir string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		dir, err := os.UserCacheDir() // %LocalAppData%
		if err != nil {
			return "", fmt.Errorf("find the local app data folder: %w", err)
		}
		return dir, nil
	case "darwin", "ios", "plan9":
		return cfgDir, nil
	default:
		if dir := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(dir) {
			return dir, nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the home folder for the data location: %w", err)
		}
		return filepath.Join(home, ".local", "share"), nil
	}
}
