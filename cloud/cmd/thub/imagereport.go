package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"transferhub/cloud/state"
)

func newImageReportCmd() *cobra.Command {
	var statePath, format, taskID string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Per-image records of image syncs (latest run of each task)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			path, err := imageStatePath(statePath)
			if err != nil {
				return err
			}
			st, err := openReportState(ctx, path)
			if err != nil {
				return err
			}
			defer st.Close()
			return imageReport(ctx, st, cmd.OutOrStdout(), format, taskID)
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "state file (default: <user cache dir>/transfer-hub/images.db)")
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json (one object per line)")
	cmd.Flags().StringVar(&taskID, "task", "", "only this task id")
	return cmd
}

func imageReport(ctx context.Context, st state.Store, w io.Writer, format, taskID string) error {
	if format != "table" && format != "csv" && format != "json" {
		return usageError{fmt.Errorf("unknown --format %q: table, csv or json", format)}
	}
	tasks, err := st.ListTasks(ctx)
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].ID < tasks[j].ID })
	var rep *reportWriter
	switch format {
	case "csv":
		rep = newReport(w, reportCSV, []string{"task", "run", "source", "destination", "status", "digest", "platforms", "bytes", "attempts", "seconds", "error"}, nil, "")
	case "json":
		rep = newReport(w, reportLines, nil, nil, "")
	default:
		fmt.Fprintf(w, "%-8s %-12s %s -> %s  %s\n", "STATUS", "BYTES", "SOURCE", "DESTINATION", "ERROR")
	}
	found := false
	for _, t := range tasks {
		if t.Type != state.TaskImage || (taskID != "" && t.ID != taskID) {
			continue
		}
		found = true
		if format == "table" {
			fmt.Fprintf(w, "# task %s (%s) run %s: %s\n", t.ID, t.Name, t.RunID, t.Status)
		}
		after := ""
		for {
			page, err := st.ListImages(ctx, t.ID, state.ListOptions{After: after, Limit: 500})
			if err != nil {
				return fmt.Errorf("list images of %s: %w", t.ID, err)
			}
			for _, im := range page.Items {
				if rep == nil {
					fmt.Fprintf(w, "%-8s %-12s %s -> %s  %s\n", im.Status, humanBytes(im.Bytes), im.Source, im.Destination, im.Error)
					continue
				}
				rep.row([]string{t.ID, im.RunID, im.Source, im.Destination, string(im.Status), im.Digest,
					strings.Join(im.Platforms, " "), strconv.FormatInt(im.Bytes, 10), strconv.Itoa(im.Attempts),
					strconv.FormatFloat(im.Duration.Seconds(), 'f', 3, 64), im.Error},
					struct {
						Task string `json:"task"`
						state.Image
						Seconds float64 `json:"seconds"`
					}{t.ID, im, im.Duration.Seconds()})
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
	}
	if rep != nil {
		if err := rep.close(); err != nil {
			return err
		}
	}
	if !found && taskID != "" {
		return fmt.Errorf("no image task %s in the state file", taskID)
	}
	return nil
}
