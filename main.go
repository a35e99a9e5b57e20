// Transfer Hub desktop app: builds the services the UI calls (package app), starts them
// with the window and stops them when it closes. Every service the frontend can reach is
// listed once, in Bind.
package main

import (
	"context"
	"embed"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"transferhub/app"
	"transferhub/backend/credentials"
	"transferhub/backend/monitor"
	"transferhub/backend/settings"
	"transferhub/backend/tasks"
)

//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var icon []byte

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	paths, err := settings.DefaultPaths()
	if err != nil {
		logger.Error("cannot locate the settings folder", "err", err)
		os.Exit(1)
	}

	profilesFile, err := credentials.DefaultFile()
	if err != nil {
		logger.Error("cannot locate the credentials file", "err", err)
		os.Exit(1)
	}

	// Settings first: the task folder and the default concurrency are the user's.
	settingsSvc := app.NewSettingsService(settings.NewStore(paths.File, settings.Defaults(paths.DataDir)), nil, logger)
	defaultConcurrency := func() int { return settingsSvc.Get().Settings.Concurrency }

	// Local tasks keep one state file each under <data dir>/tasks (opened when the app
	// starts; a data folder changed in Settings applies at the next start). Credential
	// profiles live in the config dir, their secrets in the OS keychain; the task folder
	// says which tasks still use a profile. The task model hands runs to the runner of
	// each task's engine; what tasks and runs report reaches the monitor via taskEvents.
	taskFolder := tasks.NewFolder(filepath.Join(settingsSvc.Get().Settings.DataDir, "tasks"), logger)
	creds := credentials.NewManager(profilesFile, credentials.OSKeychain{}, logger, credentials.WithUsageChecker(taskFolder))
	taskEvents := tasks.NewEvents()
	localRunner := tasks.NewLocalRunner(tasks.LocalOptions{
		Credentials: creds, DefaultConcurrency: defaultConcurrency, Observer: taskEvents, Logger: logger,
	})
	taskMgr := tasks.New(tasks.Options{
		Folder: taskFolder, Runners: []tasks.Runner{localRunner}, Credentials: creds,
		DefaultConcurrency: defaultConcurrency, Observer: taskEvents, Logger: logger,
	})
	mon := monitor.New(monitor.Options{Tasks: taskMgr, Events: taskEvents, Logger: logger})

	// The other services the UI can call.
	appSvc := app.NewAppService()
	credentialsSvc := app.NewCredentialsService(creds, logger)
	tasksSvc := app.NewTasksService(taskMgr, defaultConcurrency, logger)
	monitorSvc := app.NewMonitorService(mon, nil, logger)

	err = wails.Run(&options.App{
		Title:            app.AppName,
		Width:            1280,
		Height:           820,
		MinWidth:         900,
		MinHeight:        600,
		BackgroundColour: app.WindowBackground(settingsSvc),
		AssetServer:      &assetserver.Options{Assets: assets},
		OnStartup: func(ctx context.Context) {
			app.Start(ctx, logger, appSvc, settingsSvc, credentialsSvc, monitorSvc, tasksSvc)
		},
		OnShutdown: func(ctx context.Context) {
			app.Stop(ctx, appSvc, settingsSvc, credentialsSvc, monitorSvc, tasksSvc)
		},
		Bind: []any{
			appSvc,
			settingsSvc,
			credentialsSvc,
			tasksSvc,
			monitorSvc,
		},
		Linux:   &linux.Options{ProgramName: "transfer-hub", Icon: icon},
		Mac:     &mac.Options{About: &mac.AboutInfo{Title: app.AppName, Message: "Move S3 objects and container images between clouds.", Icon: icon}},
		Windows: &windows.Options{Theme: windows.SystemDefault},
	})
	if err != nil {
		logger.Error("the app stopped with an error", "err", err)
		os.Exit(1)
	}
}
