// Transfer Hub desktop app: builds the services the UI calls (package app), starts them
// with the window and stops them when it closes. Every service the frontend can reach is
// listed once, in Bind.
package main

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"transferhub/app"
	"transferhub/backend/cloudaccess"
	"transferhub/backend/credentials"
	"transferhub/backend/deployments"
	"transferhub/backend/monitor"
	"transferhub/backend/settings"
	"transferhub/backend/tasks"
	agents "transferhub/cloud/deploy/assets"
)

//go:embed all:frontend/dist
var assets embed.FS

// The linux agents the app deploys into AWS accounts (make agents puts them there; a
// build without them says so when asked to deploy).
//
//go:embed all:build/agents
var agentFiles embed.FS

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
	dataDir := settingsSvc.Get().Settings.DataDir
	taskFolder := tasks.NewFolder(filepath.Join(dataDir, "tasks"), logger)
	creds := credentials.NewManager(profilesFile, credentials.OSKeychain{}, logger, credentials.WithUsageChecker(taskFolder))
	taskEvents := tasks.NewEvents()
	localRunner := tasks.NewLocalRunner(tasks.LocalOptions{
		Credentials: creds, DefaultConcurrency: defaultConcurrency, Observer: taskEvents, Logger: logger,
	})
	// Cloud tasks run in the accounts of the AWS profiles, through the deployer with
	// the agents this app carries.
	access := cloudaccess.New(awsAccessOptions(creds, logger))
	cloudRunner := tasks.NewCloudRunner(tasks.CloudRunnerOptions{Access: access, Credentials: creds, Observer: taskEvents, Logger: logger})
	taskMgr := tasks.New(tasks.Options{
		Folder: taskFolder, Runners: []tasks.Runner{localRunner, cloudRunner}, Credentials: creds,
		DefaultConcurrency: defaultConcurrency, Observer: taskEvents, Logger: logger,
	})
	mon := monitor.New(monitor.Options{Tasks: taskMgr, Events: taskEvents, Cloud: taskMgr, Notify: app.DesktopNotifier(icon, logger), Logger: logger})
	deps := deployments.New(deployments.Options{Access: access, Profiles: creds, Tasks: taskMgr,
		File: filepath.Join(dataDir, "deployments.json"), Logger: logger})

	// The other services the UI can call.
	appSvc := app.NewAppService()
	credentialsSvc := app.NewCredentialsService(creds, logger)
	tasksSvc := app.NewTasksService(taskMgr, defaultConcurrency, logger)
	monitorSvc := app.NewMonitorService(mon, nil, logger)
	cloudSvc := app.NewCloudService(taskMgr, mon, logger)
	deploymentsSvc := app.NewDeploymentsService(deps, logger)

	err = wails.Run(&options.App{
		Title:            app.AppName,
		Width:            1280,
		Height:           820,
		MinWidth:         900,
		MinHeight:        600,
		BackgroundColour: app.WindowBackground(settingsSvc),
		AssetServer:      &assetserver.Options{Assets: assets},
		OnStartup: func(ctx context.Context) {
			app.Start(ctx, logger, appSvc, settingsSvc, credentialsSvc, monitorSvc, tasksSvc, cloudSvc, deploymentsSvc)
		},
		OnShutdown: func(ctx context.Context) {
			app.Stop(ctx, appSvc, settingsSvc, credentialsSvc, monitorSvc, tasksSvc, cloudSvc, deploymentsSvc)
		},
		Bind: []any{
			appSvc,
			settingsSvc,
			credentialsSvc,
			tasksSvc,
			monitorSvc,
			cloudSvc,
			deploymentsSvc,
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

// awsAccessOptions are how the app reaches AWS accounts: each AWS profile's own
// configuration (AWS_ENDPOINT_URL and the other SDK settings apply), the embedded
// agents. The THUB_TEST_* variables point deploys at the AWS emulator and a local
// registry standing in for ECR's (end-to-end tests only; never set them otherwise).
func awsAccessOptions(creds *credentials.Manager, logger *slog.Logger) cloudaccess.Options {
	opt := cloudaccess.Options{Credentials: creds, Logger: logger}
	if sub, err := fs.Sub(agentFiles, "build/agents"); err == nil {
		opt.Agents = agents.FS(sub)
	}
	if os.Getenv("THUB_TEST_AWS_EMULATOR") == "1" {
		opt.Emulator = true
		opt.EmulatorEndpoint = os.Getenv("THUB_TEST_AWS_EMULATOR_ENDPOINT")
		opt.RegistryHost = os.Getenv("THUB_TEST_REGISTRY_HOST")
		opt.RegistryInsecure = os.Getenv("THUB_TEST_REGISTRY_INSECURE") == "1"
		opt.Poll = 200 * time.Millisecond
		if dir := os.Getenv("THUB_TEST_AGENTS"); dir != "" {
			opt.Agents = agents.Dir(dir)
		}
	}
	return opt
}
