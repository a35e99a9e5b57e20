package tasks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// LogRecord is one line of a task's log as the UI shows it.
type LogRecord struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	// Attrs are the record's attributes in logfmt (key=value ...).
	Attrs string `json:"attrs,omitempty"`
}

// Log sizes: the UI reads the newest records from memory; the file keeps more history
// and is rotated once (FILE.1) when it grows past maxLogFile.
const (
	logRing    = 2000
	maxLogFile = 4 << 20
)

// Log keeps one task's log: the newest records in a ring for the UI and every record in
// a bounded JSON-lines file next to the task's state file, so the log survives restarts.
type Log struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
	ring []LogRecord // circular, oldest at start
	head int
	seq  int64
	err  error // the last file error (the ring keeps working)
}

// OpenLog opens (creating) the log file at path and loads its newest records.
func OpenLog(path string) *Log {
	l := &Log{path: path, ring: make([]LogRecord, 0, logRing)}
	l.load()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		l.err = fmt.Errorf("open task log %s: %w", path, err)
		return l
	}
	if fi, err := f.Stat(); err == nil {
		l.size = fi.Size()
	}
	l.f = f
	return l
}

// load reads the last records of the file into the ring.
func (l *Log) load() {
	f, err := os.Open(l.path)
	if err != nil {
		return
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxLogFile {
		_, _ = f.Seek(fi.Size()-maxLogFile, io.SeekStart)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r LogRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Seq == 0 {
			continue // a torn last line or the cut first line of a seek
		}
		l.push(r)
		l.seq = max(l.seq, r.Seq)
	}
}

func (l *Log) push(r LogRecord) {
	if len(l.ring) < logRing {
		l.ring = append(l.ring, r)
		return
	}
	l.ring[l.head] = r
	l.head = (l.head + 1) % logRing
}

// Append adds a record, numbering it.
func (l *Log) Append(r LogRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	r.Seq = l.seq
	l.push(r)
	if l.f == nil {
		return
	}
	b, _ := json.Marshal(r)
	b = append(b, '\n')
	if l.size+int64(len(b)) > maxLogFile {
		l.rotate()
	}
	if l.f == nil {
		return
	}
	n, err := l.f.Write(b)
	l.size += int64(n)
	if err != nil {
		l.err = fmt.Errorf("write task log %s: %w", l.path, err)
	}
}

func (l *Log) rotate() {
	_ = l.f.Close()
	l.f = nil
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		l.err = fmt.Errorf("rotate task log %s: %w", l.path, err)
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		l.err = fmt.Errorf("open task log %s: %w", l.path, err)
		return
	}
	l.f, l.size = f, 0
}

// Records returns up to limit records after seq (0: from the oldest kept), oldest first,
// and the number of records kept in memory.
func (l *Log) Records(after int64, limit int) []LogRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.ring)
	out := make([]LogRecord, 0, min(max(limit, 0), n))
	for i := 0; i < n && len(out) < limit; i++ {
		r := l.ring[(l.head+i)%n]
		if r.Seq > after {
			out = append(out, r)
		}
	}
	return out
}

// Last returns the newest limit records, oldest first.
func (l *Log) Last(limit int) []LogRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.ring)
	k := min(limit, n)
	out := make([]LogRecord, 0, k)
	for i := n - k; i < n; i++ {
		out = append(out, l.ring[(l.head+i)%n])
	}
	return out
}

// Seq is the number of the newest record.
func (l *Log) Seq() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// Err is the last problem writing the file ("" when none).
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Remove closes and deletes the log files.
func (l *Log) Remove() error {
	_ = l.Close()
	err1 := os.Remove(l.path)
	err2 := os.Remove(l.path + ".1")
	if err1 != nil && !os.IsNotExist(err1) {
		return err1
	}
	if err2 != nil && !os.IsNotExist(err2) {
		return err2
	}
	return nil
}

// Logger returns a logger that writes into this log at level and up, and also passes
// the records to app (tagged with the task id) so they appear in the app's own log.
func (l *Log) Logger(level slog.Level, app *slog.Logger, taskID string) *slog.Logger {
	h := &logHandler{log: l, level: level, fmt: &attrFormatter{}}
	h.fmt.h = slog.NewTextHandler(&h.fmt.buf, &slog.HandlerOptions{ReplaceAttr: dropBuiltins})
	next := slog.DiscardHandler
	if app != nil {
		next = app.With("task", taskID).Handler()
	}
	return slog.New(teeHandler{h, next})
}

func dropBuiltins(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
		return slog.Attr{}
	}
	return a
}

// attrFormatter renders a record's attributes as logfmt through slog's text handler
// (which knows groups and WithAttrs), into a buffer reused under its lock.
type attrFormatter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	h   slog.Handler
}

type logHandler struct {
	log   *Log
	level slog.Level
	fmt   *attrFormatter
	inner slog.Handler // fmt.h with this handler's attrs and groups; nil = fmt.h
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

// base is the formatter with this handler's attrs and groups.
func (h *logHandler) base() slog.Handler {
	if h.inner == nil {
		return h.fmt.h
	}
	return h.inner
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	inner := h.base()
	h.fmt.mu.Lock()
	h.fmt.buf.Reset()
	err := inner.Handle(ctx, r)
	attrs := strings.TrimSpace(h.fmt.buf.String())
	h.fmt.mu.Unlock()
	if err != nil {
		return err
	}
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	h.log.Append(LogRecord{Time: t.UTC(), Level: r.Level.String(), Message: r.Message, Attrs: attrs})
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.inner = h.base().WithAttrs(as)
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.inner = h.base().WithGroup(name)
	return &c
}

// teeHandler sends records to the task log and to the app log.
type teeHandler struct {
	a, b slog.Handler
}

func (t teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return t.a.Enabled(ctx, l) || t.b.Enabled(ctx, l)
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if t.a.Enabled(ctx, r.Level) {
		err = t.a.Handle(ctx, r.Clone())
	}
	if t.b.Enabled(ctx, r.Level) {
		_ = t.b.Handle(ctx, r)
	}
	return err
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t.a.WithAttrs(as), t.b.WithAttrs(as)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.a.WithGroup(name), t.b.WithGroup(name)}
}
