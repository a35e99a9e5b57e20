package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// newLogger is the one logger of the binary, from --log-level and --log-format: text
// lines for the CLI (defaultFormat "text"), JSON lines that CloudWatch Logs parses for
// the cloud processes ("json"), every line tagged with attrs (task id, role). The cloud
// processes also take THUB_LOG_LEVEL / THUB_LOG_FORMAT (level, format: "" = the flag).
func newLogger(cmd *cobra.Command, defaultFormat string, attrs ...any) (*slog.Logger, error) {
	return newLoggerEnv(cmd, defaultFormat, "", "", attrs...)
}

func newLoggerEnv(cmd *cobra.Command, defaultFormat, envLevel, envFormat string, attrs ...any) (*slog.Logger, error) {
	level, format := flagOr(cmd, "log-level", envLevel, "info"), flagOr(cmd, "log-format", envFormat, defaultFormat)
	return buildLogger(os.Stderr, level, format, attrs...)
}

// flagOr is the flag's value when it was given, else fallback, else def.
func flagOr(cmd *cobra.Command, name, fallback, def string) string {
	if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
		return f.Value.String()
	}
	if fallback != "" {
		return fallback
	}
	return def
}

func buildLogger(w io.Writer, level, format string, attrs ...any) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("invalid --log-level: %q: use debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, usageError{fmt.Errorf("invalid --log-format: %q: use text or json", format)}
	}
	return slog.New(h).With(attrs...), nil
}
