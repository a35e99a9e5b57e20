package monitor

import (
	"encoding/json"
	"time"

	"transferhub/cloud/state"
)

// Sample is one point of a run's progress over time.
type Sample struct {
	At      time.Time
	Bytes   int64 // bytes moved so far in the run
	Settled int64 // items settled so far in the run
}

// Point is one point of the throughput chart: the rates between a sample and the one
// before it.
type Point struct {
	T             int64   `json:"t"` // Unix milliseconds
	BytesPerSec   float64 `json:"bytesPerSec"`
	ObjectsPerSec float64 `json:"objectsPerSec"`
}

// Series sizes: one sample a second at first; when full, every other sample is dropped
// (the resolution halves), so a run of any length fits in maxSamples.
const (
	maxSamples   = 720
	sampleEvery  = time.Second
	rateWindow   = 10 * time.Second
	metaSeries   = "app-throughput"
	seriesFormat = 1
)

// series is the sampled progress of one run.
type series struct {
	run     string
	step    time.Duration // current spacing
	samples []Sample
	saved   int // samples persisted so far (to skip needless writes)
}

func newSeries(run string) *series { return &series{run: run, step: sampleEvery} }

// add records a sample unless the previous one is younger than the current spacing.
func (s *series) add(x Sample) bool {
	if n := len(s.samples); n > 0 {
		last := s.samples[n-1]
		if x.At.Sub(last.At) < s.step {
			return false
		}
	}
	s.samples = append(s.samples, x)
	if len(s.samples) > maxSamples {
		kept := s.samples[:0]
		for i, v := range s.samples {
			if i%2 == 0 || i == len(s.samples)-1 {
				kept = append(kept, v)
			}
		}
		s.samples = kept
		s.step *= 2
	}
	return true
}

// points returns the chart points after time after (zero: all).
func (s *series) points(after time.Time) []Point {
	bytes := stepRates(s.samples, func(x Sample) int64 { return x.Bytes })
	objects := stepRates(s.samples, func(x Sample) int64 { return x.Settled })
	var out []Point
	for i := 1; i < len(s.samples); i++ {
		a, b := s.samples[i-1], s.samples[i]
		if !b.At.After(after) || !b.At.After(a.At) {
			continue
		}
		out = append(out, Point{T: b.At.UnixMilli(), BytesPerSec: bytes[i], ObjectsPerSec: objects[i]})
	}
	return out
}

// stepRates returns the rate of a counter over the interval that ends at each sample.
// Counters advance in steps: a cloud task's when a job's outcomes are written (a job's
// bytes at once, read by the app every few seconds), a local one's part by part. What
// a step adds moved since the counter last changed, so its rate is spread over the
// samples since then: a batch that took a minute shows as a minute at its average,
// not as a spike after a flat stretch (a cloud run's last batch showed as a spike
// at its end). Samples after the last step keep rate 0.
func stepRates(xs []Sample, v func(Sample) int64) []float64 {
	r := make([]float64, len(xs))
	from := 0 // the sample where the counter last changed
	for i := 1; i < len(xs); i++ {
		if v(xs[i]) == v(xs[i-1]) {
			continue
		}
		if dt := xs[i].At.Sub(xs[from].At).Seconds(); dt > 0 {
			rate := max(0, float64(v(xs[i])-v(xs[from]))/dt)
			for j := from + 1; j <= i; j++ {
				r[j] = rate
			}
		}
		from = i
	}
	return r
}

// rates are the average rates over the last rateWindow (0 without two samples).
func (s *series) rates() (bytesPerSec, objectsPerSec float64) {
	n := len(s.samples)
	if n < 2 {
		return 0, 0
	}
	last := s.samples[n-1]
	first := s.samples[0]
	for i := n - 2; i >= 0; i-- {
		first = s.samples[i]
		if last.At.Sub(first.At) >= rateWindow {
			break
		}
	}
	dt := last.At.Sub(first.At).Seconds()
	if dt <= 0 {
		return 0, 0
	}
	return max(0, float64(last.Bytes-first.Bytes)/dt), max(0, float64(last.Settled-first.Settled)/dt)
}

// eta estimates the seconds left (-1: unknown). Bytes decide when the listing knows them;
// images (no sizes up front) go by items.
func eta(c state.Counters, finderDone bool, bytesPerSec, objectsPerSec float64) float64 {
	if !finderDone {
		return -1
	}
	left := c.FoundObjects - c.Settled()
	if left <= 0 {
		return 0
	}
	if c.FoundBytes > 0 && bytesPerSec > 0 {
		bytesLeft := c.FoundBytes - c.DoneBytes - c.SkippedBytes - c.FailedBytes
		return max(0, float64(bytesLeft)/bytesPerSec)
	}
	if objectsPerSec > 0 {
		return float64(left) / objectsPerSec
	}
	return -1
}

// stored is the persisted form (task meta): times relative to t0 in milliseconds.
type stored struct {
	V       int        `json:"v"`
	Run     string     `json:"run"`
	T0      int64      `json:"t0"`
	Step    int64      `json:"stepMs"`
	Samples [][3]int64 `json:"samples"`
}

func (s *series) encode() string {
	st := stored{V: seriesFormat, Run: s.run, Step: s.step.Milliseconds()}
	if len(s.samples) > 0 {
		st.T0 = s.samples[0].At.UnixMilli()
	}
	for _, x := range s.samples {
		st.Samples = append(st.Samples, [3]int64{x.At.UnixMilli() - st.T0, x.Bytes, x.Settled})
	}
	b, _ := json.Marshal(st)
	return string(b)
}

func decodeSeries(raw string) (*series, bool) {
	var st stored
	if raw == "" || json.Unmarshal([]byte(raw), &st) != nil || st.V != seriesFormat {
		return nil, false
	}
	s := &series{run: st.Run, step: time.Duration(st.Step) * time.Millisecond}
	if s.step <= 0 {
		s.step = sampleEvery
	}
	for _, x := range st.Samples {
		s.samples = append(s.samples, Sample{At: time.UnixMilli(st.T0 + x[0]), Bytes: x[1], Settled: x[2]})
	}
	s.saved = len(s.samples)
	return s, true
}
