package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestForCallsEachIndexOnce(t *testing.T) {
	var calls [100]atomic.Int32
	if err := For(len(calls), 7, func(i int) error { calls[i].Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range calls {
		if n := calls[i].Load(); n != 1 {
			t.Fatalf("index %d called %d times, want 1", i, n)
		}
	}
}

func TestForReturnsTheError(t *testing.T) {
	boom := errors.New("boom")
	err := For(50, 4, func(i int) error {
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}
