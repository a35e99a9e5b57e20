package image

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/state"
	"transferhub/cloud/state/statetest"
	"transferhub/cloud/taskrun"
)

// TestSyncLifeCycle: Engine.Sync over real registries and a real state file: a run ends
// FAILED with what failed; retrying the failed images reopens that run and completes it;
// an interrupted run is resumed with only what it had not settled, its selection counted
// once; a second runner is refused while the task is held.
func TestSyncLifeCycle(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	push(t, rc, r.open+"/"+ns+"/a:v1", imagetest.Spec{Layers: []int64{32 << 10}, Seed: 31})
	push(t, rc, r.open+"/"+ns+"/b:v1", imagetest.Spec{Layers: []int64{32 << 10}, Seed: 32})
	e := newEngine(t, Config{Access: r.access()})
	spec := Spec{
		Sources: []Source{{Registry: r.open, Repository: ns + "/a", Tag: "v1"}, {Registry: r.open, Repository: ns + "/b", Tag: "v1"},
			{Registry: r.open, Repository: ns + "/c", Tag: "v1"}}, // not pushed yet: fails
		Destination: Destination{Registry: r.auth, Prefix: "sync"},
		Copy:        CopyOptions{Attempts: 1},
	}
	st := statetest.SQLite(t, "")
	task := func() state.Task {
		t.Helper()
		tk, err := st.GetTask(ctx, "img")
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}

	sum, err := e.Sync(ctx, spec, st, "img", SyncOptions{Name: "three images"})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 3, 2, 0, 1)
	first := task()
	if first.Status != state.TaskFailed || first.LastError != "1 of 3 images failed" || first.Name != "three images" ||
		first.Counters.FoundObjects != 3 || !first.FinderDone || sum.RunID != first.RunID || sum.TaskID != "img" {
		t.Fatalf("after the first run: %+v (summary %s)", first, sum.JSON())
	}

	// The missing image appears; retrying the failed ones completes the same run.
	push(t, rc, r.open+"/"+ns+"/c:v1", imagetest.Spec{Layers: []int64{32 << 10}, Seed: 33})
	sum, err = e.Sync(ctx, spec, st, "img", SyncOptions{RetryFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 1, 1, 0, 0)
	retried := task()
	if retried.RunID != first.RunID || retried.Status != state.TaskCompleted || retried.LastError != "" ||
		retried.Counters.FoundObjects != 3 || retried.Counters.DoneObjects != 3 || retried.Counters.FailedObjects != 0 {
		t.Fatalf("after the retry: %+v", retried)
	}

	// A run a killed process left RUNNING, with its selection counted and one image settled.
	recs, err := runImages(ctx, st, retried, "")
	if err != nil || len(recs) != 3 {
		t.Fatalf("records of the run: %v, %v", recs, err)
	}
	killed, err := st.StartRun(ctx, "img")
	if err != nil {
		t.Fatal(err)
	}
	if err := countSelection(ctx, st, killed, 3); err != nil {
		t.Fatal(err)
	}
	settled := recs[0]
	settled.RunID, settled.Status = killed.RunID, state.ItemSkipped
	if err := st.PutImages(ctx, "img", []state.Image{settled}); err != nil {
		t.Fatal(err)
	}
	resume := SyncOptions{Run: taskrun.Options{Begin: taskrun.BeginOptions{Resume: taskrun.ResumeInterrupted}}}
	sum, err = e.Sync(ctx, spec, st, "img", resume)
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 2, 0, 2, 0) // only what the killed run had not settled
	resumed := task()
	if resumed.RunID != killed.RunID || resumed.Status != state.TaskCompleted ||
		resumed.Counters.FoundObjects != 3 || resumed.Counters.SkippedObjects != 3 {
		t.Fatalf("after the resumed run: %+v", resumed)
	}

	// The default begins a new run.
	sum, err = e.Sync(ctx, spec, st, "img", SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 3, 0, 3, 0)
	if tk := task(); tk.RunID == killed.RunID || tk.Status != state.TaskCompleted {
		t.Fatalf("after a new run: %+v", tk)
	}

	// Another live process on this computer holds the task: refused at once, no run.
	host, _ := os.Hostname()
	other := taskrun.Owner{Host: host, PID: os.Getpid(), Since: time.Now()}
	if err := st.Lease(ctx, "img", taskrun.RunLease, other.String(), time.Hour); err != nil {
		t.Fatal(err)
	}
	before := task()
	sum, err = e.Sync(ctx, spec, st, "img", SyncOptions{})
	if !errors.Is(err, taskrun.ErrBusy) || sum.RunID != "" {
		t.Fatalf("a held task: %v, summary %s", err, sum.JSON())
	}
	if tk := task(); tk.RunID != before.RunID || tk.Status != before.Status {
		t.Fatalf("a refused run changed the task: %+v", tk)
	}
}

// An image whose copy a stop interrupts is not FAILED: it stays PENDING and the resumed
// run copies it and completes.
func TestSyncStoppedImageResumes(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	push(t, rc, r.open+"/"+ns+"/a:v1", imagetest.Spec{Layers: []int64{32 << 10}, Seed: 41})
	push(t, rc, r.open+"/"+ns+"/b:v1", imagetest.Spec{Layers: []int64{32 << 10}, Seed: 42})
	e := newEngine(t, Config{Access: r.access()})
	spec := Spec{
		Sources:     []Source{{Registry: r.open, Repository: ns + "/a", Tag: "v1"}, {Registry: r.open, Repository: ns + "/b", Tag: "v1"}},
		Destination: Destination{Registry: r.auth, Prefix: "stop"},
		Copy:        CopyOptions{Attempts: 1},
	}
	st := statetest.SQLite(t, "")

	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	_, err := e.Sync(stopCtx, spec, st, "img", SyncOptions{Concurrency: 1, OnEvent: func(ev Event) {
		if ev.Kind == EventStarted {
			stop() // the stop comes while the first image copies
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a stopped run: %v", err)
	}
	tk, err := st.GetTask(ctx, "img")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != state.TaskRunning || tk.Counters.FailedObjects != 0 {
		t.Fatalf("after the stop: %+v", tk)
	}
	recs, err := runImages(ctx, st, tk, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range recs {
		if im.Status != state.ItemPending {
			t.Errorf("%s after the stop: %s %q, want PENDING", im.Source, im.Status, im.Error)
		}
	}

	resume := SyncOptions{Run: taskrun.Options{Begin: taskrun.BeginOptions{Resume: taskrun.ResumeInterrupted}}}
	sum, err := e.Sync(ctx, spec, st, "img", resume)
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 2, 2, 0, 0)
	if tk2, err := st.GetTask(ctx, "img"); err != nil || tk2.RunID != tk.RunID || tk2.Status != state.TaskCompleted || tk2.Counters.DoneObjects != 2 {
		t.Fatalf("after the resumed run: %+v, %v", tk2, err)
	}
}
