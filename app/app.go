// Package app holds the services the desktop UI calls through Wails bindings. Each
// service is a thin, UI-shaped facade over a backend/ package: it converts errors and
// values into what a form or table needs and holds no business logic of its own.
//
// Every exported method of a bound service becomes callable from JavaScript, so the
// lifecycle hooks are unexported and driven by Start and Stop.
package app

import (
	"context"
	"log/slog"
)

// service is what Start and Stop drive; each bound service implements it.
type service interface {
	name() string
	start(ctx context.Context) error
	stop(ctx context.Context)
}

// Start starts the services in order, passing the Wails application context (needed by
// the runtime: events, dialogs). A service that fails to start is logged and left in a
// degraded state rather than stopping the app: the UI shows its problem.
func Start(ctx context.Context, logger *slog.Logger, services ...service) {
	for _, s := range services {
		if err := s.start(ctx); err != nil {
			logger.Error("service did not start cleanly", "service", s.name(), "err", err)
		}
	}
}

// Stop stops the services in reverse order of the list given.
func Stop(ctx context.Context, services ...service) {
	for i := len(services) - 1; i >= 0; i-- {
		services[i].stop(ctx)
	}
}
