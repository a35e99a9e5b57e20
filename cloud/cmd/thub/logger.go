package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

func s3Logger(cmd *cobra.Command) *slog.Logger {
	lvl := slog.LevelInfo
	if v, _ := cmd.Flags().GetString("log-level"); v != "" {
		_ = lvl.UnmarshalText([]byte(v))
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if v, _ := cmd.Flags().GetString("log-format"); v == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func newLogger(cmd *cobra.Command) *slog.Logger {
	lv := slog.LevelInfo
	if s, _ := cmd.Flags().GetString("log-level"); s != "" {
		_ = lv.UnmarshalText([]byte(s))
	}
	format, _ := cmd.Flags().GetString("log-format")
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
