package monitor

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"transferhub/cloud/state"
)

// ExportResult says what an export wrote.
type ExportResult struct {
	Path string `json:"path"`
	Rows int64  `json:"rows"`
}

// Export formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// Export writes a task's per-object (or per-image) report to path, in the format of
// `thub s3 report` / `thub image report`: CSV with a header, or one JSON document with the
// task, its counters and every record. The file appears whole or not at all (written
// beside it, then renamed). status filters the records ("" = all).
func (m *Monitor) Export(ctx context.Context, id, format, status, path string) (ExportResult, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	if format != FormatCSV && format != FormatJSON {
		return ExportResult{}, fmt.Errorf("%q is not an export format; choose csv or json", format)
	}
	st, err := parseStatus(status)
	if err != nil {
		return ExportResult{}, err
	}
	if strings.TrimSpace(path) == "" || !filepath.IsAbs(path) {
		return ExportResult{}, fmt.Errorf("choose a file to export to (a full path, got %q)", path)
	}
	v, store, err := m.task(ctx, id)
	if err != nil {
		return ExportResult{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return ExportResult{}, fmt.Errorf("export to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename this removes nothing
	w := bufio.NewWriterSize(tmp, 1<<20)
	images := v.Type == state.TaskImage
	list := lister(store, images, id)
	var rows int64
	each := func(fn func(Item) error) error {
		after := ""
		for {
			items, next, err := list(ctx, state.ListOptions{Status: st, After: after, Limit: 1000})
			if err != nil {
				return err
			}
			for _, it := range items {
				if err := fn(it); err != nil {
					return err
				}
				rows++
			}
			if next == "" {
				return nil
			}
			after = next
		}
	}
	if format == FormatCSV {
		err = writeCSV(w, images, each)
	} else {
		err = writeJSON(w, v.ID, v.Name, string(v.Status), v.Counters, images, each)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return ExportResult{}, fmt.Errorf("export to %s: %w", path, err)
	}
	return ExportResult{Path: path, Rows: rows}, nil
}

func writeCSV(w *bufio.Writer, images bool, each func(func(Item) error) error) error {
	cw := csv.NewWriter(w)
	if images {
		_ = cw.Write([]string{"source", "destination", "status", "digest", "platforms", "bytes", "attempts", "error", "run", "updated"})
	} else {
		_ = cw.Write([]string{"key", "size", "status", "attempts", "error", "etag", "dest_etag", "checksum", "updated"})
	}
	err := each(func(it Item) error {
		updated := it.UpdatedAt.UTC().Format(time.RFC3339)
		if images {
			return cw.Write([]string{it.Key, it.Destination, string(it.Status), it.ETag, strings.Join(it.Platforms, " "),
				strconv.FormatInt(it.Size, 10), strconv.Itoa(it.Attempts), it.Error, it.RunID, updated})
		}
		return cw.Write([]string{it.Key, strconv.FormatInt(it.Size, 10), string(it.Status), strconv.Itoa(it.Attempts),
			it.Error, it.ETag, it.DestETag, it.Checksum, updated})
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

// writeJSON streams {"task", "name", "status", "counters", "objects"|"images": [...]}.
func writeJSON(w *bufio.Writer, id, name, status string, c state.Counters, images bool, each func(func(Item) error) error) error {
	head, err := json.Marshal(struct {
		Task     string         `json:"task"`
		Name     string         `json:"name"`
		Status   string         `json:"status"`
		Counters state.Counters `json:"counters"`
	}{id, name, status, c})
	if err != nil {
		return err
	}
	field := "objects"
	if images {
		field = "images"
	}
	w.Write(head[:len(head)-1])
	fmt.Fprintf(w, `,%q:[`, field)
	first := true
	err = each(func(it Item) error {
		if !first {
			w.WriteByte(',')
		}
		first = false
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("]}\n")
	return err
}
