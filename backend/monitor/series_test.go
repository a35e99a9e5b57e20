package monitor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"transferhub/cloud/state"
)

func TestSeriesKeepsOneSampleAStepAndHalvesWhenFull(t *testing.T) {
	s := newSeries("r1")
	t0 := time.Unix(1000, 0)
	assert.True(t, s.add(Sample{At: t0}))
	assert.False(t, s.add(Sample{At: t0.Add(500 * time.Millisecond)}), "younger than a step")
	for i := 1; i <= 2*maxSamples; i++ {
		s.add(Sample{At: t0.Add(time.Duration(i) * time.Second), Bytes: int64(i) * 10, Settled: int64(i)})
	}
	assert.LessOrEqual(t, len(s.samples), maxSamples)
	assert.Greater(t, s.step, time.Second)
	last := s.samples[len(s.samples)-1]
	assert.Equal(t, int64(2*maxSamples)*10, last.Bytes, "the newest sample is kept")
	assert.Equal(t, t0, s.samples[0].At, "the oldest sample is kept")
	for _, p := range s.points(time.Time{}) {
		assert.InDelta(t, 10, p.BytesPerSec, 0.001)
		assert.InDelta(t, 1, p.ObjectsPerSec, 0.001)
	}
}

// A cloud task's counters move when a job's outcomes are written: its bytes appear at
// one sample after flat ones (the record is read every 6 s). The chart spreads them
// over the time since the counter last changed instead of showing a spike at the
// step (its run's last job made a spike at the end of a completed task).
func TestStepsSpreadOverTheTimeSinceTheLastChange(t *testing.T) {
	s := newSeries("r1")
	t0 := time.Unix(0, 0)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// 36 s of one job (60 MB, 200 objects) seen as flat reads, then its outcomes; then
	// the completed run's record, unchanged.
	for i, x := range []Sample{{At: at(0)}, {At: at(6)}, {At: at(12)}, {At: at(18)}, {At: at(24)}, {At: at(30)},
		{At: at(36), Bytes: 60e6, Settled: 200}, {At: at(42), Bytes: 60e6, Settled: 200}, {At: at(48), Bytes: 60e6, Settled: 200}} {
		assert.True(t, s.add(x), "sample %d", i)
	}
	ps := s.points(time.Time{})
	if assert.Len(t, ps, 8) {
		for i, p := range ps[:6] {
			assert.InDelta(t, 60e6/36, p.BytesPerSec, 0.001, "point %d: the job's average", i)
			assert.InDelta(t, 200.0/36, p.ObjectsPerSec, 0.001, "point %d", i)
		}
		for _, p := range ps[6:] {
			assert.Zero(t, p.BytesPerSec, "nothing moves after the run")
		}
	}
	// Steady progress is unchanged: each interval its own rate.
	s = newSeries("r2")
	for i := 0; i <= 4; i++ {
		s.add(Sample{At: at(i), Bytes: int64(i * i * 100)})
	}
	for i, p := range s.points(time.Time{}) {
		assert.InDelta(t, float64((i+1)*(i+1)*100-i*i*100), p.BytesPerSec, 0.001)
	}
}

func TestRatesUseTheLastWindow(t *testing.T) {
	s := newSeries("r1")
	t0 := time.Unix(0, 0)
	// 60 s at 100 B/s, then 20 s at 1000 B/s: the rate reflects the recent speed.
	b := int64(0)
	for i := 0; i <= 80; i++ {
		s.add(Sample{At: t0.Add(time.Duration(i) * time.Second), Bytes: b})
		if i < 60 {
			b += 100
		} else {
			b += 1000
		}
	}
	bps, _ := s.rates()
	assert.InDelta(t, 1000, bps, 0.001)
	assert.Equal(t, 0.0, func() float64 { x, _ := newSeries("x").rates(); return x }())
}

func TestETA(t *testing.T) {
	c := state.Counters{FoundObjects: 10, FoundBytes: 1000, DoneObjects: 5, DoneBytes: 400, SkippedObjects: 1, SkippedBytes: 100}
	assert.Equal(t, -1.0, eta(c, false, 100, 1), "unknown while listing")
	assert.InDelta(t, 5, eta(c, true, 100, 1), 0.001, "500 bytes left at 100 B/s")
	assert.Equal(t, -1.0, eta(c, true, 0, 0), "no speed yet")
	img := state.Counters{FoundObjects: 10, DoneObjects: 4}
	assert.InDelta(t, 3, eta(img, true, 0, 2), 0.001, "images go by items")
	assert.Equal(t, 0.0, eta(state.Counters{FoundObjects: 2, DoneObjects: 2}, true, 0, 0))
}

func TestSeriesEncodeDecode(t *testing.T) {
	s := newSeries("run-9")
	t0 := time.UnixMilli(1_700_000_000_000)
	for i := 0; i < 5; i++ {
		s.add(Sample{At: t0.Add(time.Duration(i) * time.Second), Bytes: int64(i * i), Settled: int64(i)})
	}
	back, ok := decodeSeries(s.encode())
	assert.True(t, ok)
	assert.Equal(t, s.run, back.run)
	assert.Equal(t, s.points(time.Time{}), back.points(time.Time{}))
	_, ok = decodeSeries(`{"v":2}`)
	assert.False(t, ok)
	_, ok = decodeSeries("")
	assert.False(t, ok)
}
