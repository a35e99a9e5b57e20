package s3sync

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"

	"transferhub/cloud/objstore"
)

func sortStrings(s []string) { sort.Strings(s) }

// segment is one contiguous piece of the key space, in order: either objects already
// known (from a delimiter probe) or a prefix to list in full.
type segment struct {
	objs []objstore.Object
	flat string
	list bool
	// after starts a flat listing just past this key (a range's exclusive lower bound,
	// or a resumed finder's checkpoint).
	after string
	// until, when bounded, ends a flat listing at this key (inclusive): a StartAfter
	// range of a level too large to probe.
	until   string
	bounded bool
}

// defaultProbeLimit caps the entries read from one level by a delimiter probe; a larger
// level is split into StartAfter ranges.
const defaultProbeLimit = 2000

// segmentPlan says how planSegments splits the key space.
type segmentPlan struct {
	want       int  // about this many prefixes to list
	maxDepth   int  // levels probed at the most
	workers    int  // probes at once
	split      bool // split a huge level into StartAfter ranges
	probeLimit int  // entries a probe reads (0: defaultProbeLimit)
}

// planSegments splits the key space under the given prefixes into ordered segments for
// parallel listing. It probes levels with delimiter "/" until there are about plan.want
// prefixes to list, at most plan.maxDepth levels deep. Objects that sit directly at a
// probed level are kept as segments of their own: unlike DTH's finderDepth, nothing above
// the split depth is lost.
func planSegments(ctx context.Context, l objstore.Lister, prefixes []string, plan segmentPlan) ([]segment, error) {
	want, maxDepth, workers, split, probeLimit := plan.want, plan.maxDepth, plan.workers, plan.split, plan.probeLimit
	if probeLimit <= 0 {
		probeLimit = defaultProbeLimit
	}
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	segs := make([]segment, 0, len(prefixes))
	for _, p := range prefixes {
		segs = append(segs, segment{flat: p, list: true})
	}
	for depth := 0; depth < maxDepth; depth++ {
		if countLists(segs) >= want || countLists(segs) == 0 {
			break
		}
		// Probe the listed segments of this level in parallel (at most `want` of them).
		type probe struct {
			p    objstore.Page
			more bool
			err  error
			done bool
		}
		probes := make([]probe, len(segs))
		sem := make(chan struct{}, max(1, workers))
		var wg sync.WaitGroup
		n := 0
		for i, s := range segs {
			if !s.list || s.bounded || s.after != "" || n >= want {
				// Ranges are final: probing one would see its whole level again.
				continue
			}
			n++
			wg.Add(1)
			sem <- struct{}{}
			go func(i int, prefix string) {
				defer wg.Done()
				defer func() { <-sem }()
				p, more, err := l.ListDir(ctx, prefix, probeLimit)
				probes[i] = probe{p: p, more: more, err: err, done: true}
			}(i, s.flat)
		}
		wg.Wait()
		var next []segment
		expanded := false
		for i, s := range segs {
			pr := probes[i]
			if !pr.done {
				next = append(next, s)
				continue
			}
			if pr.err != nil {
				return nil, pr.err
			}
			if pr.more {
				// A huge (often flat) level: split it into StartAfter ranges, or list it
				// as one range.
				if r := rangeSegments(s, pr.p); split && len(r) > 1 {
					expanded = true
					next = append(next, r...)
				} else {
					next = append(next, s)
				}
				continue
			}
			if len(pr.p.Dirs) == 0 {
				// A leaf level the probe read in full: no second listing.
				if len(pr.p.Objects) > 0 {
					next = append(next, segment{objs: pr.p.Objects})
				}
				continue
			}
			expanded = true
			next = append(next, levelSegments(pr.p)...)
		}
		segs = next
		if !expanded {
			break
		}
	}
	return coalesce(segs), nil
}

// charClass returns the run of bytes a generated key varies in at one position (digits,
// lowercase, uppercase), which is what speculative boundaries are drawn from.
func charClass(c byte) string {
	switch {
	case c >= '0' && c <= '9':
		return "0123456789"
	case c >= 'a' && c <= 'z':
		return "abcdefghijklmnopqrstuvwxyz"
	case c >= 'A' && c <= 'Z':
		return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	return ""
}

// rangeSegments splits the flat key space of a huge level into ranges (L_i, L_i+1] by
// guessing boundaries from the probe's first page. With n the length of the common prefix
// of its first and last key, boundaries are the keys' prefix up to n (and up to n-1) with
// each later character of the same class (digits, letters): counters, dates and ids then
// fall into ranges of similar size. The ranges partition the key space whatever the guess
// (the first is unbounded below, the last above), so no key is lost or listed twice; a
// bad guess only costs a few short listings.
func rangeSegments(s segment, p objstore.Page) []segment {
	keys := make([]string, 0, len(p.Objects)+len(p.Dirs))
	for _, o := range p.Objects {
		keys = append(keys, o.Key)
	}
	keys = append(keys, p.Dirs...)
	if len(keys) < 2 {
		return nil
	}
	sortStrings(keys)
	first, last := keys[0], keys[len(keys)-1]
	n := 0
	for n < len(first) && n < len(last) && first[n] == last[n] {
		n++
	}
	var bounds []string
	for _, pos := range []int{n, n - 1} {
		if pos < len(s.flat) || pos >= len(last) {
			continue
		}
		for _, c := range []byte(charClass(last[pos])) {
			if c > last[pos] {
				bounds = append(bounds, last[:pos]+string(c))
			}
		}
	}
	sortStrings(bounds)
	bounds = slices.Compact(bounds)
	if len(bounds) == 0 {
		return nil
	}
	segs := make([]segment, 0, len(bounds)+1)
	lo := s.after
	for _, b := range bounds {
		segs = append(segs, segment{flat: s.flat, list: true, after: lo, until: b, bounded: true})
		lo = b
	}
	return append(segs, segment{flat: s.flat, list: true, after: lo})
}

func countLists(segs []segment) int {
	n := 0
	for _, s := range segs {
		if s.list {
			n++
		}
	}
	return n
}

// levelSegments orders one level's objects and sub-prefixes by key. An object key and a
// prefix compare the same way as the object key and every key under the prefix.
func levelSegments(p objstore.Page) []segment {
	segs := make([]segment, 0, len(p.Objects)+len(p.Dirs))
	oi, di := 0, 0
	for oi < len(p.Objects) || di < len(p.Dirs) {
		if di >= len(p.Dirs) || oi < len(p.Objects) && p.Objects[oi].Key < p.Dirs[di] {
			segs = append(segs, segment{objs: []objstore.Object{p.Objects[oi]}})
			oi++
		} else {
			segs = append(segs, segment{flat: p.Dirs[di], list: true})
			di++
		}
	}
	return segs
}

// coalesce merges runs of known objects into one segment.
func coalesce(segs []segment) []segment {
	out := segs[:0:0]
	for _, s := range segs {
		if !s.list && len(out) > 0 && !out[len(out)-1].list {
			out[len(out)-1].objs = append(out[len(out)-1].objs, s.objs...)
			continue
		}
		out = append(out, s)
	}
	return out
}

var errRangeEnd = errors.New("end of range")

type pageMsg struct {
	objs []objstore.Object
	err  error
}

// stream yields objects one at a time from an ordered listing.
type stream struct {
	ch   <-chan pageMsg
	buf  []objstore.Object
	err  error
	done bool
}

// Next returns the next object; ok is false at the end or on error (see Err).
func (s *stream) Next() (objstore.Object, bool) {
	for len(s.buf) == 0 {
		if s.done {
			return objstore.Object{}, false
		}
		m, ok := <-s.ch
		if !ok {
			s.done = true
			return objstore.Object{}, false
		}
		if m.err != nil {
			s.err, s.done = m.err, true
			return objstore.Object{}, false
		}
		s.buf = m.objs
	}
	o := s.buf[0]
	s.buf = s.buf[1:]
	return o, true
}

func (s *stream) Err() error { return s.err }

// listOrdered lists segments with up to `workers` listings running ahead of the
// consumer and delivers every object in key order. Memory is bounded by workers × a few
// pages, whatever the object count.
func listOrdered(ctx context.Context, l objstore.Lister, segs []segment, workers int) *stream {
	if workers < 1 {
		workers = 1
	}
	out := make(chan pageMsg, 4)
	go func() {
		defer close(out)
		type run struct{ ch chan pageMsg }
		runs := make([]*run, len(segs))
		start := func(i int) {
			r := &run{ch: make(chan pageMsg, 4)}
			runs[i] = r
			go func(seg segment) {
				defer close(r.ch)
				err := l.List(ctx, seg.flat, seg.after, func(p objstore.Page) error {
					objs, stop := p.Objects, false
					if seg.bounded {
						// The range ends at until: keep what is inside, stop past it.
						n := sort.Search(len(objs), func(i int) bool { return objs[i].Key > seg.until })
						objs, stop = objs[:n], n < len(p.Objects)
					}
					if len(objs) > 0 {
						select {
						case r.ch <- pageMsg{objs: objs}:
						case <-ctx.Done():
							return ctx.Err()
						}
					}
					if stop {
						return errRangeEnd
					}
					return nil
				})
				if errors.Is(err, errRangeEnd) {
					err = nil
				}
				if err != nil {
					select {
					case r.ch <- pageMsg{err: err}:
					case <-ctx.Done():
					}
				}
			}(segs[i])
		}
		next, active := 0, 0
		send := func(m pageMsg) bool {
			select {
			case out <- m:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for i, s := range segs {
			// Keep up to `workers` listings running from the current segment on.
			for next < len(segs) && (next <= i || active < workers) {
				if segs[next].list {
					start(next)
					active++
				}
				next++
			}
			if !s.list {
				if !send(pageMsg{objs: s.objs}) {
					return
				}
				continue
			}
			for m := range runs[i].ch {
				if !send(m) {
					return
				}
				if m.err != nil {
					return
				}
			}
			runs[i] = nil
			active--
		}
	}()
	return &stream{ch: out}
}

// resumeSegments drops what lies at or before after and starts the segment holding it
// just past it.
func resumeSegments(segs []segment, after string) []segment {
	var out []segment
	for _, s := range segs {
		if !s.list {
			var objs []objstore.Object
			for _, o := range s.objs {
				if o.Key > after {
					objs = append(objs, o)
				}
			}
			if len(objs) > 0 {
				out = append(out, segment{objs: objs})
			}
			continue
		}
		if s.bounded {
			// A StartAfter range (s.after, s.until]: drop it when done, else start past
			// the checkpoint.
			switch {
			case after >= s.until:
			case after > s.after:
				s.after = after
				out = append(out, s)
			default:
				out = append(out, s)
			}
			continue
		}
		switch {
		case strings.HasPrefix(after, s.flat):
			s.after = max(s.after, after)
			out = append(out, s)
		case s.flat > after:
			out = append(out, s)
		}
	}
	return out
}
