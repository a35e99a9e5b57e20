package app

import (
	"log/slog"

	"github.com/gen2brain/beeep"

	"transferhub/backend/monitor"
)

// DesktopNotifier shows a desktop notification when a run ends (the monitor's
// Notify). Wails v2 has no notification API; gen2brain/beeep serves Linux (the
// freedesktop notification service over D-Bus, or notify-send), Windows (toast) and
// macOS (UserNotifications through purego) without cgo. A notification that cannot be
// shown (no notification service) is logged and otherwise ignored.
func DesktopNotifier(icon []byte, logger *slog.Logger) func(monitor.Notice) {
	beeep.AppName = AppName
	return func(n monitor.Notice) {
		if err := beeep.Notify(n.Title, n.Message, icon); err != nil {
			logger.Debug("desktop notification not shown", "task", n.TaskID, "err", err)
		}
	}
}
