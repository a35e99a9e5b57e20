package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"transferhub/cloud/state"
)

func newS3ReportCmd() *cobra.Command {
	var statePath, format, status string
	c := &cobra.Command{
		Use:   "report",
		Short: "List the objects of a sync task and their outcome (CSV or JSON)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if statePath == "" {
				return errors.New("--state is required (the state file of the sync)")
			}
			st := state.ItemStatus(strings.ToUpper(status))
			switch st {
			case "", state.ItemPending, state.ItemInProgress, state.ItemDone, state.ItemSkipped, state.ItemFailed:
			default:
				return fmt.Errorf("--status %q: use PENDING, IN_PROGRESS, DONE, SKIPPED or FAILED", status)
			}
			if format != "csv" && format != "json" {
				return fmt.Errorf("--format %q: use csv or json", format)
			}
			db, err := openReportState(ctx, statePath)
			if err != nil {
				return err
			}
			defer db.Close()
			return writeReport(ctx, cmd.OutOrStdout(), db, format, st)
		},
	}
	c.Flags().StringVar(&statePath, "state", "", "state file of the sync task")
	c.Flags().StringVar(&format, "format", "csv", "csv or json")
	c.Flags().StringVar(&status, "status", "", "only objects with this status (e.g. FAILED)")
	return c
}

type reportObject struct {
	Key      string `json:"key"`
	Size     int64  `json:"size"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
	ETag     string `json:"etag,omitempty"`
	DestETag string `json:"destEtag,omitempty"`
	Checksum string `json:"checksum,omitempty"` // "CRC64NVME:<base64>" of the copied content
	Updated  string `json:"updated"`
}

func writeReport(ctx context.Context, w io.Writer, st state.Store, format string, status state.ItemStatus) error {
	tasks, err := st.ListTasks(ctx)
	if err != nil {
		return fmt.Errorf("list tasks: %w", err)
	}
	var task *state.Task
	for i := range tasks {
		if tasks[i].Type == state.TaskS3 {
			task = &tasks[i]
		}
	}
	if task == nil {
		return errors.New("the state file holds no S3 task")
	}
	rf := reportCSV
	if format == "json" {
		rf = reportDocument
	}
	rep := newReport(w, rf, []string{"key", "size", "status", "attempts", "error", "etag", "dest_etag", "checksum", "updated"},
		struct {
			Task     string         `json:"task"`
			Name     string         `json:"name"`
			Status   string         `json:"status"`
			Counters state.Counters `json:"counters"`
		}{task.ID, task.Name, string(task.Status), task.Counters}, "objects")
	after := ""
	for {
		page, err := st.ListObjects(ctx, task.ID, state.ListOptions{Status: status, After: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("list objects: %w", err)
		}
		for _, o := range page.Items {
			r := reportObject{Key: o.Key, Size: o.Size, Status: string(o.Status), Attempts: o.Attempts, Error: o.Error,
				ETag: o.ETag, DestETag: o.DestETag, Checksum: o.Checksum, Updated: o.UpdatedAt.UTC().Format(time.RFC3339)}
			rep.row([]string{r.Key, strconv.FormatInt(r.Size, 10), r.Status, strconv.Itoa(r.Attempts), r.Error, r.ETag, r.DestETag, r.Checksum, r.Updated}, r)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	return rep.close()
}
