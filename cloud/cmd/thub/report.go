package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"transferhub/cloud/state/sqlite"
)

// openReportState opens the state file a report reads. It must exist: opening creates
// one, and an empty report from a mistyped path would look like a sync that did nothing.
func openReportState(ctx context.Context, path string) (*sqlite.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return db, nil
}

// Report formats.
const (
	reportCSV      = "csv"      // a header line, then one line per row
	reportLines    = "lines"    // one JSON object per row
	reportDocument = "document" // one JSON document: the head's fields and a list of the rows
)

// reportWriter writes the rows of `thub s3 report` and `thub image report` as they come
// from the state file (memory does not grow with the rows). The first write error is
// kept and returned by close.
type reportWriter struct {
	w      io.Writer
	format string
	cw     *csv.Writer
	rows   int
	err    error
}

// newReport starts a report; head (document only) is a JSON object written before
// its list, named list.
func newReport(w io.Writer, format string, header []string, head any, list string) *reportWriter {
	r := &reportWriter{w: w, format: format}
	switch format {
	case reportCSV:
		r.cw = csv.NewWriter(w)
		r.err = r.cw.Write(header)
	case reportDocument:
		b, err := json.Marshal(head)
		if err != nil {
			r.err = err
			return r
		}
		// {"task":...} + ,"objects":[ ... ]}
		_, r.err = fmt.Fprintf(w, "%s,%q:[", b[:len(b)-1], list)
	}
	return r
}

// row writes one row: its cells for CSV, v for JSON.
func (r *reportWriter) row(cells []string, v any) {
	if r.err != nil {
		return
	}
	switch r.format {
	case reportCSV:
		r.err = r.cw.Write(cells)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			r.err = err
			return
		}
		sep := ""
		switch {
		case r.format == reportLines:
			b = append(b, '\n')
		case r.rows > 0:
			sep = ","
		}
		_, r.err = fmt.Fprintf(r.w, "%s%s", sep, b)
	}
	r.rows++
}

// close ends the report and returns the first error.
func (r *reportWriter) close() error {
	switch r.format {
	case reportCSV:
		r.cw.Flush()
		if r.err == nil {
			r.err = r.cw.Error()
		}
	case reportDocument:
		if r.err == nil {
			_, r.err = io.WriteString(r.w, "]}\n")
		}
	}
	return r.err
}
