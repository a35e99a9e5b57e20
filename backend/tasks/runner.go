package tasks

import (
	"context"
	"time"

	"transferhub/cloud/state"
)

// Runner runs the tasks of one engine. The Manager keeps the tasks (definitions,
// schedules, one record per task in its store) and decides from a task's status whether
// an action applies; it hands the action to the runner of the task's engine
// (state.Task.Engine), which moves the data and keeps the run's status, counters and
// items in the task's store.
//
// LocalRunner runs a task inside this app on the engines of cloud/s3sync and cloud/image.
// A cloud runner (state.EngineCloud) drives the task's stack in the user's account
// instead and fits the same methods: Run starts the stack's finder (its state machine)
// for a new run, or re-enqueues the failed objects from its tables for ModeRetry; Stop
// scales the fleet to zero and pauses the stack's schedule, keeping the run's state;
// Delete removes the stack and the far-side secret; Progress reads the stack's tables
// (within a call budget, so an open page does not hammer the APIs); Reopen has nothing to
// do, since the stack ran on while the app was closed. Both report changes and progress
// to the Observer they were built with.
type Runner interface {
	// Engine is the engine whose tasks the runner runs.
	Engine() state.Engine
	// Run begins a run of the task and returns once it is under way; the run goes on
	// after ctx ends. The Manager has checked that mode applies to the task's status; a
	// run the runner already drives is refused with ErrBusy.
	Run(ctx context.Context, t Task, mode Mode) error
	// Stop asks the task's run to stop; it ends STOPPED and can be resumed. ErrBusy when
	// the task has no run to stop.
	Stop(ctx context.Context, t Task) error
	// Delete ends the task's run for good and removes what the runner keeps for the task
	// outside its store (a local run keeps nothing else: its queue is in the task's file;
	// a cloud run keeps its stack, its secrets and, unless opt.KeepData, its table). The
	// Manager then removes the task's store and log; when Delete fails the task stays, so
	// it can be deleted again.
	Delete(ctx context.Context, t Task, opt DeleteOptions) error
	// Reopen is called once for every task when the app opens (Manager.Open): a local
	// run the previous app left RUNNING is resumed here.
	Reopen(ctx context.Context, t Task) error
	// Progress is the newest snapshot of the run the runner drives for the task, and
	// false when it drives none (the task's store then has the whole truth).
	Progress(id string) (Progress, bool)
	// Close ends the runner's work for the app's exit, waiting for its runs until ctx
	// ends. A local run stays RUNNING in its file, so the next start resumes it.
	Close(ctx context.Context)
}

// DeleteOptions say what deleting a task keeps.
type DeleteOptions struct {
	// KeepData keeps a cloud task's table (every object's or image's record, from which
	// its report is written) when its stack goes; deploying the same task again finds
	// it. A local task's records are in its file, which goes with it.
	KeepData bool `json:"keepData"`
}

// Task is what a runner gets of a task: who it is, and where its record and log are.
type Task struct {
	ID   string
	Name string
	// Store holds the task's record (state.Task: definition, status, counters) and its
	// runs' items. A local task's store is its SQLite file, which also holds the run's
	// queue.
	Store state.Store
	// Log is the task's log as the UI shows it.
	Log *Log
}

// Mode says which run Runner.Run begins.
type Mode int

const (
	ModeStart     Mode = iota // a new run, asked for by the user
	ModeResume                // the current run, continued where it stopped (stopped, failed or interrupted)
	ModeRetry                 // the current run again, for its failed items only
	ModeScheduled             // a new run, due by the task's schedule
	// modeReopen: a run the previous app left RUNNING (LocalRunner.Reopen).
	modeReopen
)

func (m Mode) String() string {
	return [...]string{"start", "resume", "retry failed", "scheduled run", "resume after restart"}[m]
}

// Progress is a live snapshot of a running task.
type Progress struct {
	At       time.Time      `json:"at"`
	RunID    string         `json:"runId"`
	Counters state.Counters `json:"counters"`
	// BytesMoved is what the run has sent so far (images: also bytes of images still in
	// flight), the basis of throughput.
	BytesMoved int64 `json:"bytesMoved"`
	FinderDone bool  `json:"finderDone"`
}
