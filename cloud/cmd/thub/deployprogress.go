package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/assets"
)

// progressView shows a deploy as the best deploy tools do: one line per resource event
// with the resource's time and reason, the N/M count and elapsed time, the first failure
// pinned as a line of its own (never overwritten). On a terminal a status line at the
// bottom says what is in progress; elsewhere (CI logs) plain lines only.
type progressView struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	status string // the status line on screen (terminal)
	pinned bool
}

func newProgressView(w io.Writer, tty bool) *progressView { return &progressView{w: w, tty: tty} }

const (
	red   = "\x1b[31m"
	green = "\x1b[32m"
	amber = "\x1b[33m"
	reset = "\x1b[0m"
)

// line prints a permanent line (above the status line on a terminal).
func (v *progressView) line(s string) {
	if v.tty && v.status != "" {
		fmt.Fprint(v.w, "\r\x1b[K")
	}
	fmt.Fprintln(v.w, s)
	if v.tty && v.status != "" {
		fmt.Fprint(v.w, v.status)
	}
}

func (v *progressView) setStatus(s string) {
	if !v.tty {
		return
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	v.status = s
	fmt.Fprint(v.w, "\r\x1b[K"+s)
}

// clear removes the status line.
func (v *progressView) clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.tty && v.status != "" {
		fmt.Fprint(v.w, "\r\x1b[K")
	}
	v.status = ""
}

func (v *progressView) color(status, s string) string {
	if !v.tty {
		return s
	}
	switch {
	case strings.HasSuffix(status, "_FAILED"):
		return red + s + reset
	case strings.Contains(status, "ROLLBACK"):
		return amber + s + reset
	case strings.HasSuffix(status, "_COMPLETE"):
		return green + s + reset
	}
	return s
}

// stack shows one progress report of a stack operation.
func (v *progressView) stack(p deploy.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	count := fmt.Sprintf("[%*d/%d]", len(fmt.Sprint(p.Total)), p.Done, p.Total)
	el := clock(p.Elapsed)
	switch r := p.Resource; {
	case r != nil:
		s := fmt.Sprintf("%s %s  %-22s %-34s %s", count, el, v.color(r.Status, r.Status), r.Type, r.LogicalID)
		if r.Elapsed > 0 && strings.HasSuffix(r.Status, "_COMPLETE") {
			s += fmt.Sprintf(" (%s)", r.Elapsed.Round(time.Second))
		}
		if r.Reason != "" && !cancelledOrInitiated(r.Reason) {
			s += "  " + r.Reason
		}
		v.line(s)
	case !p.Final:
		s := fmt.Sprintf("%s %s  %s  %s", count, el, v.color(p.StackStatus, p.StackStatus), p.Stack)
		if p.StackReason != "" && !cancelledOrInitiated(p.StackReason) {
			s += "  " + p.StackReason
		}
		v.line(s)
	}
	if f := p.FirstFailure; f != nil && !v.pinned {
		v.pinned = true
		v.line(v.color("CREATE_FAILED", "  First failure: "+f.String()))
	}
	if p.Final {
		v.status = ""
		if v.tty {
			fmt.Fprint(v.w, "\r\x1b[K")
		}
		return
	}
	st := fmt.Sprintf("%s %d/%d resources  %s", p.Stack, p.Done, p.Total, el)
	if p.RollingBack {
		st += "  rolling back"
	}
	if len(p.InProgress) > 0 {
		st += "  in progress: " + strings.Join(p.InProgress, ", ")
	}
	v.setStatus(st)
}

// cancelledOrInitiated are reasons that say nothing a line needs.
func cancelledOrInitiated(r string) bool {
	return r == "Resource creation Initiated" || r == "User Initiated"
}

// asset shows the uploads' progress.
func (v *progressView) asset(e assets.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case e.Finished && e.Skipped:
		v.line(fmt.Sprintf("  %s: already there", e.Asset))
	case e.Finished:
		v.line(fmt.Sprintf("  %s: uploaded %s", e.Asset, humanize.IBytes(uint64(e.Total))))
	default:
		v.setStatus(fmt.Sprintf("uploading %s: %s of %s", e.Asset, humanize.IBytes(uint64(e.Done)), humanize.IBytes(uint64(e.Total))))
	}
}

// clock renders an elapsed time as m:ss (h:mm:ss past an hour).
func clock(d time.Duration) string {
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
