package main

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"

	"transferhub/cloud/image"
	"transferhub/cloud/state"
)

// humanBytes writes a size as the rest of thub does (s3 sync's summary, deploy).
func humanBytes(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }

// progress draws one status line on stderr (terminals only).
type progress struct {
	on                         bool
	found, done, skipped, fail atomic.Int64
	bytes                      atomic.Int64
	start                      time.Time
	quit                       chan struct{}
	stopped                    atomic.Bool
}

func newProgress(on bool) *progress {
	p := &progress{on: on, start: time.Now(), quit: make(chan struct{})}
	if on {
		go p.loop()
	}
	return p
}

func (p *progress) event(ev image.Event) {
	switch ev.Kind {
	case image.EventSelected:
		p.found.Store(int64(ev.Found))
	case image.EventBytes:
		p.bytes.Add(ev.Bytes)
	case image.EventFinished:
		switch ev.Result.Status {
		case state.ItemDone:
			p.done.Add(1)
		case state.ItemSkipped:
			p.skipped.Add(1)
		case state.ItemFailed:
			p.fail.Add(1)
		default:
			p.done.Add(1)
		}
	}
}

func (p *progress) loop() {
	tk := time.NewTicker(500 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-p.quit:
			fmt.Fprint(os.Stderr, "\r\033[K")
			return
		case <-tk.C:
			secs := time.Since(p.start).Seconds()
			b := p.bytes.Load()
			fmt.Fprintf(os.Stderr, "\r\033[K%d/%d images (copied %d, up to date %d, failed %d)  %s  %s/s",
				p.done.Load()+p.skipped.Load()+p.fail.Load(), p.found.Load(), p.done.Load(), p.skipped.Load(), p.fail.Load(),
				humanBytes(b), humanBytes(int64(float64(b)/max(secs, 0.1))))
		}
	}
}

func (p *progress) stop() {
	if p.on && p.stopped.CompareAndSwap(false, true) {
		close(p.quit)
		time.Sleep(10 * time.Millisecond)
	}
}
