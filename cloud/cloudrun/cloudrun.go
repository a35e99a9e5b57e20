// Package cloudrun wires the engines into the processes of a cloud run: finder and
// worker processes that cooperate through Amazon SQS and a DynamoDB table (the task's
// Store), image copiers fed by a Step Functions Map, and the Lambda that lists images.
// Configuration comes from environment variables and flags as the task's stack sets
// them (cloud/docs/cloud-run.md); far-side credentials come from Secrets Manager.
//
// The run's life cycle across processes is package taskrun's: one finder per task at a
// time (its lease), runs resumed or superseded, and the task marked COMPLETED by
// whichever process settles its last object, derived from the Store's records alone.
package cloudrun

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"transferhub/cloud/taskrun"
)

// NewLogger returns the agent's structured logger: JSON lines (CloudWatch Logs parses
// them) or text, every line tagged with attrs (task id, role).
func NewLogger(w io.Writer, level, format string, attrs ...any) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "", "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: use json or text", format)
	}
	return slog.New(h).With(attrs...), nil
}

// ErrBusy: another process holds the task's finder lease (taskrun.ErrBusy).
var ErrBusy = taskrun.ErrBusy
