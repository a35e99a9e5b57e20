package cloudrun

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

func testStore(t *testing.T) state.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

var quiet = slog.New(slog.DiscardHandler)

// Many processes settle the last objects at once: exactly one ends the run.
func TestFinishIfCompleteHasOneWinner(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	tk, err := EnsureTask(ctx, st, state.Task{ID: "t", Type: state.TaskS3, Name: "n"})
	require.NoError(t, err)
	require.Equal(t, state.TaskIdle, tk.Status)
	tk, resumed, err := BeginRun(ctx, st, "t", true, quiet)
	require.NoError(t, err)
	require.False(t, resumed)
	require.NoError(t, st.AddCounters(ctx, "t", tk.RunID, state.Counters{FoundObjects: 2, FoundBytes: 2}))
	won, err := FinishIfComplete(ctx, st, "t", true, quiet)
	require.NoError(t, err)
	require.False(t, won, "the finder is not done yet")
	require.NoError(t, st.FinishFinder(ctx, "t", tk.RunID))
	require.NoError(t, st.PutObjects(ctx, "t", []state.Object{{Key: "a", Size: 1, Status: state.ItemDone}}))
	won, err = FinishIfComplete(ctx, st, "t", true, quiet)
	require.NoError(t, err)
	require.False(t, won, "one object still unsettled")
	require.NoError(t, st.PutObjects(ctx, "t", []state.Object{{Key: "b", Size: 1, Status: state.ItemDone}}))

	var wins sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for i := 0; i < 16; i++ {
		wins.Add(1)
		go func() {
			defer wins.Done()
			w, err := FinishIfComplete(ctx, st, "t", true, quiet)
			require.NoError(t, err)
			if w {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wins.Wait()
	require.Equal(t, 1, n)
	tk, err = st.GetTask(ctx, "t")
	require.NoError(t, err)
	require.Equal(t, state.TaskCompleted, tk.Status)
}

func TestFinishIfCompleteStatuses(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		oneTime bool
		failed  bool
		want    state.TaskStatus
		msg     string
	}{
		{true, false, state.TaskCompleted, ""},
		{true, true, state.TaskFailed, "1 of 2 objects failed"},
		{false, true, state.TaskIdle, "1 of 2 objects failed"},
		{false, false, state.TaskIdle, ""},
	} {
		st := testStore(t)
		_, err := EnsureTask(ctx, st, state.Task{ID: "t", Type: state.TaskS3})
		require.NoError(t, err)
		tk, _, err := BeginRun(ctx, st, "t", true, quiet)
		require.NoError(t, err)
		require.NoError(t, st.AddCounters(ctx, "t", tk.RunID, state.Counters{FoundObjects: 2}))
		second := state.ItemDone
		if c.failed {
			second = state.ItemFailed
		}
		require.NoError(t, st.PutObjects(ctx, "t", []state.Object{{Key: "a", Status: state.ItemDone}, {Key: "b", Status: second, Error: "x"}}))
		require.NoError(t, st.FinishFinder(ctx, "t", tk.RunID))
		won, err := FinishIfComplete(ctx, st, "t", c.oneTime, quiet)
		require.NoError(t, err)
		require.True(t, won)
		tk, err = st.GetTask(ctx, "t")
		require.NoError(t, err)
		require.Equal(t, c.want, tk.Status)
		require.Equal(t, c.msg, tk.LastError)
	}
}

func TestBeginRun(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	_, err := EnsureTask(ctx, st, state.Task{ID: "t", Type: state.TaskS3})
	require.NoError(t, err)
	first, _, err := BeginRun(ctx, st, "t", true, quiet)
	require.NoError(t, err)
	// The finder died before finishing: the next finder resumes the same run...
	again, resumed, err := BeginRun(ctx, st, "t", true, quiet)
	require.NoError(t, err)
	require.True(t, resumed)
	require.Equal(t, first.RunID, again.RunID)
	// ...unless its listing cannot resume (images): a new run.
	fresh, resumed, err := BeginRun(ctx, st, "t", false, quiet)
	require.NoError(t, err)
	require.False(t, resumed)
	require.NotEqual(t, first.RunID, fresh.RunID)
	// A run whose finder finished but whose objects are still in flight is superseded.
	require.NoError(t, st.AddCounters(ctx, "t", fresh.RunID, state.Counters{FoundObjects: 5}))
	require.NoError(t, st.FinishFinder(ctx, "t", fresh.RunID))
	next, resumed, err := BeginRun(ctx, st, "t", true, quiet)
	require.NoError(t, err)
	require.False(t, resumed)
	require.NotEqual(t, fresh.RunID, next.RunID)
	require.Zero(t, next.Counters.FoundObjects)
	// A stopped task starts nothing.
	require.NoError(t, st.SetTaskStatus(ctx, "t", nil, state.TaskStopped, ""))
	_, _, err = BeginRun(ctx, st, "t", true, quiet)
	require.ErrorContains(t, err, "is STOPPED")
}

func TestHoldLease(t *testing.T) {
	ctx := context.Background()
	st := testStore(t)
	_, err := EnsureTask(ctx, st, state.Task{ID: "t", Type: state.TaskS3})
	require.NoError(t, err)
	stop, lost, err := HoldLease(ctx, st, "t", "finder", "one", time.Minute, quiet)
	require.NoError(t, err)
	_, _, err = HoldLease(ctx, st, "t", "finder", "two", time.Minute, quiet)
	require.ErrorIs(t, err, ErrBusy)
	select {
	case <-lost:
		t.Fatal("lease reported lost while renewed")
	default:
	}
	stop()
	stop2, _, err := HoldLease(ctx, st, "t", "finder", "two", time.Minute, quiet)
	require.NoError(t, err, "released on stop")
	stop2()
}
