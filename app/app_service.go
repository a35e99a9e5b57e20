package app

import (
	"context"
	"runtime"
	"runtime/debug"

	"transferhub/cloud/version"
)

// AppName is the product name shown in the window title and the top bar.
const AppName = "Transfer Hub"

// AppInfo describes this build for the top bar and the About section.
type AppInfo struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	OS           string `json:"os"`
	Arch         string `json:"arch"`
	Platform     string `json:"platform"` // "linux/amd64"
	GoVersion    string `json:"goVersion"`
	WailsVersion string `json:"wailsVersion"`
}

// AppService answers questions about the application itself.
type AppService struct {
	info AppInfo
}

// NewAppService reads the build's version and platform once.
func NewAppService() *AppService {
	return &AppService{info: AppInfo{
		Name:         AppName,
		Version:      version.Version,
		OS:           runtime.GOOS,
		Arch:         runtime.GOARCH,
		Platform:     runtime.GOOS + "/" + runtime.GOARCH,
		GoVersion:    runtime.Version(),
		WailsVersion: moduleVersion(debug.ReadBuildInfo, "github.com/wailsapp/wails/v2"),
	}}
}

// Info returns the name, version and platform of this build.
func (a *AppService) Info() AppInfo { return a.info }

// Version returns the application version (transferhub/cloud/version).
func (a *AppService) Version() string { return a.info.Version }

func (a *AppService) name() string                    { return "app" }
func (a *AppService) start(ctx context.Context) error { return nil }
func (a *AppService) stop(ctx context.Context)        {}

// moduleVersion finds a dependency's version in the build info; "unknown" when the binary
// was built without module information (go test binaries list no dependencies).
func moduleVersion(read func() (*debug.BuildInfo, bool), path string) string {
	bi, ok := read()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil && d.Replace.Version != "" {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "unknown"
}
