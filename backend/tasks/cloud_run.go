package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"transferhub/backend/callbudget"
	"transferhub/cloud/deploy"
	"transferhub/cloud/queue/sqsqueue"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// ready returns a deployed task's stack, table and account, refusing tasks whose stack
// is not up (still deploying, failed, being deleted).
func (r *CloudRunner) ready(ctx context.Context, t Task) (deploy.TaskStack, state.Store, *deployer, error) {
	rec, _, p, err := r.placementOf(ctx, t)
	if err != nil {
		return deploy.TaskStack{}, nil, nil, err
	}
	switch rec.Status {
	case state.TaskDeploying, state.TaskDeleting:
		return deploy.TaskStack{}, nil, nil, fmt.Errorf("%w: %q is %s", ErrBusy, t.Name, strings.ToLower(string(rec.Status)))
	case state.TaskDraft:
		return deploy.TaskStack{}, nil, nil, fmt.Errorf("%w: %q is not deployed yet", ErrBusy, t.Name)
	}
	ts, err := r.stackOf(ctx, t, p, true)
	if errors.Is(err, deploy.ErrNoTaskStack) {
		return ts, nil, nil, fmt.Errorf("%w: %q has no stack in %s: deploy it again", ErrBusy, t.Name, p.Region)
	}
	if err != nil {
		return ts, nil, nil, err
	}
	acct, err := r.account(ctx, p)
	if err != nil {
		return ts, nil, nil, err
	}
	remote, err := r.remoteStore(ctx, t, p)
	if err != nil {
		return ts, nil, nil, err
	}
	return ts, remote, &deployer{acct.Deployer, acct.SQS}, nil
}

// deployer is an account's deployer and the queue client a retry sends with.
type deployer struct {
	*deploy.Deployer
	sqs sqsqueue.API
}

// Run implements Runner: a new run starts the task's finder (S3) or state machine
// (images) now; Resume lets a stopped run go on (its fleet back, its schedule resumed,
// its finder started again when it had not finished listing); Retry re-enqueues the
// run's failed objects from the task's table onto its queue (where DLQ redrive is not
// available too); images retry with a new run, which skips the images already copied.
func (r *CloudRunner) Run(ctx context.Context, t Task, mode Mode) error {
	ct := r.task(t.ID)
	ct.mu.Lock()
	ct.runAsks++ // the pages look the run up until the record is read again
	ct.mu.Unlock()
	ts, remote, d, err := r.ready(ctx, t)
	if err != nil {
		return err
	}
	logger := t.Log.Logger(slog.LevelInfo, r.log, t.ID)
	rec, err := taskrun.Ensure(ctx, remote, state.Task{ID: t.ID, Type: typeOf(ts.Kind), Name: t.Name, Engine: state.EngineCloud, Status: state.TaskIdle})
	if err != nil {
		return err
	}
	if rec.Status == state.TaskRunning && mode != ModeResume {
		return fmt.Errorf("%w: %q is already running", ErrBusy, t.Name)
	}
	if mode == ModeRetry && ts.Kind == stack.KindImageTask {
		mode = ModeStart
	}
	if mode == ModeStart && ts.Kind == stack.KindImageTask {
		// The run has ended, but its execution may still be retrying a failed batch (the
		// state machine's own retries) and holds the task: a new execution would start
		// nothing. The run asked for now replaces it.
		if n, err := d.StopRuns(ctx, ts, "a new run was asked for from Transfer Hub"); err != nil {
			return err
		} else if n > 0 {
			logger.Info("stopped the previous run's execution, still retrying, for the new run", "executions", n)
		}
	}
	if rec.Status == state.TaskStopped || rec.Status == state.TaskStopping || mode == ModeResume || mode == ModeRetry {
		if err := r.release(ctx, ts, d); err != nil {
			return err
		}
	}
	switch mode {
	case ModeResume:
		if err := r.resume(ctx, t, ts, remote, d, rec, logger); err != nil {
			return err
		}
	case ModeRetry:
		// The dead letters of the objects about to be retried would look like open
		// problems, and a redrive would copy them again: they go while the run rests (a
		// failure of a retried copy then stays).
		if u := ts.Outputs["DeadLetterQueueUrl"]; u != "" {
			n, err := s3sync.DropRetriedDeadLetters(ctx, remote, sqsqueue.New(d.sqs, u, ""), rec)
			if err != nil {
				logger.Warn("the dead-letter queue keeps messages of the retried objects", "err", err)
			}
			logger.Info("removed the dead-letter messages the retry makes redundant", "messages", n)
		}
		// Pending again before the run reopens: a reopened run whose failed objects still
		// count as settled would be ended by an idle worker before they are copied.
		objs, err := s3sync.PrepareRetry(ctx, remote, rec)
		if err != nil {
			return fmt.Errorf("retry the failed objects: %w", err)
		}
		b, err := taskrun.Begin(ctx, remote, t.ID, taskrun.BeginOptions{Resume: taskrun.ResumeCurrent, Log: logger})
		if err != nil {
			return err
		}
		q := sqsqueue.New(d.sqs, ts.Outputs["QueueUrl"], ts.Outputs["DeadLetterQueueUrl"])
		if err := s3sync.SendJobs(ctx, q, b.Task.RunID, objs); err != nil {
			return fmt.Errorf("retry the failed objects: %w", err)
		}
		logger.Info("retrying failed objects: queued for the workers", "objects", len(objs), "run", b.Task.RunID)
	default:
		if err := remote.SetTaskStatus(ctx, t.ID, []state.TaskStatus{state.TaskStopped, state.TaskStopping}, state.TaskIdle, ""); err != nil && !errors.Is(err, state.ErrConflict) {
			return err
		}
		started, err := d.RunNow(ctx, ts)
		if err != nil {
			return err
		}
		logger.Info("run started", "mode", mode.String(), "finder", started.FinderTask, "execution", started.Execution)
	}
	r.observer.TaskChanged(t.ID)
	return nil
}

// resume lets a stopped task go on: the run it was running (its finder again when it
// had not finished listing, its end recorded when everything settled meanwhile), or the
// run that was asked for when the stop came before it began; a task stopped at rest
// rests again.
func (r *CloudRunner) resume(ctx context.Context, t Task, ts deploy.TaskStack, remote state.Store, d *deployer, rec state.Task, logger *slog.Logger) error {
	var mark stopMark
	if raw, err := remote.GetMeta(ctx, t.ID, metaStopped); err == nil && raw != "" {
		_ = json.Unmarshal([]byte(raw), &mark)
	} else {
		// Stopped elsewhere: an unfinished run goes on, anything else rests.
		mark.Status, mark.RunID = state.TaskIdle, rec.RunID
		if rec.RunID != "" && !rec.Complete() {
			mark.Status = state.TaskRunning
		}
	}
	stoppedStates := []state.TaskStatus{state.TaskStopped, state.TaskStopping, state.TaskFailed, state.TaskIdle}
	running := (mark.Status == state.TaskRunning || mark.Status == state.TaskStopping) && mark.RunID == rec.RunID
	if !running {
		to := mark.Status
		if to == "" || to == state.TaskStopped || to == state.TaskRunning || to == state.TaskStopping || mark.StoppedRuns > 0 {
			to = state.TaskIdle // a run is about to begin, or none ran
		}
		if err := remote.SetTaskStatus(ctx, t.ID, stoppedStates, to, rec.LastError); err != nil && !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("resume %q: %w", t.Name, err)
		}
		if mark.StoppedRuns == 0 {
			logger.Info("resumed: the task rests until its next run")
			return nil
		}
		started, err := d.RunNow(ctx, ts)
		if err != nil {
			return err
		}
		logger.Info("resumed: the run asked for before the stop starts now", "finder", started.FinderTask, "execution", started.Execution)
		return nil
	}
	if err := remote.SetTaskStatus(ctx, t.ID, stoppedStates, state.TaskRunning, ""); err != nil && !errors.Is(err, state.ErrConflict) {
		return fmt.Errorf("resume %q: %w", t.Name, err)
	}
	logger.Info("resuming the run", "run", rec.RunID, "finder_done", rec.FinderDone)
	if !rec.FinderDone {
		// The finder resumes a RUNNING run from its checkpoint.
		_, err := d.RunNow(ctx, ts)
		return err
	}
	_, ended, err := taskrun.Finish(ctx, remote, t.ID, taskrun.End{IfComplete: true, Scheduled: ts.Params["Schedule"] != "", Log: logger})
	switch {
	case err != nil:
		return fmt.Errorf("resume %q: %w", t.Name, err)
	case ended:
		// Everything settled while it was stopped: no worker will end the run.
		logger.Info("the run had nothing left to do")
	case ts.Kind == stack.KindImageTask:
		// An image run's copies belong to the execution the stop ended, and no queue
		// keeps what it left: a new execution lists again, supersedes the run and
		// copies what the destination still lacks (the rest counts as skipped).
		started, err := d.RunNow(ctx, ts)
		if err != nil {
			return err
		}
		logger.Info("resumed: a new execution copies what the stopped one left", "execution", started.Execution)
	}
	return nil
}

// release undoes a stop: the fleet may scale again, the schedule runs again.
func (r *CloudRunner) release(ctx context.Context, ts deploy.TaskStack, d *deployer) error {
	if err := d.ScaleWorkers(ctx, ts, false); err != nil {
		return err
	}
	return d.PauseSchedule(ctx, ts, false)
}

func typeOf(k stack.Kind) state.TaskType {
	if k == stack.KindImageTask {
		return state.TaskImage
	}
	return state.TaskS3
}

// Stop implements Runner: the task's finders or executions are stopped, its fleet
// scaled to zero (workers finish what they hold and give the rest back to the queue),
// its schedule paused and the task STOPPED, which no scheduled finder starts from.
// Every record and the queue stay: Resume goes on from there. What the task was doing
// is noted in its table (meta "stopped"), so that Resume knows whether a run was under
// way or only asked for.
func (r *CloudRunner) Stop(ctx context.Context, t Task) error {
	ts, remote, d, err := r.ready(ctx, t)
	if err != nil {
		return err
	}
	rec, err := taskrun.Ensure(ctx, remote, state.Task{ID: t.ID, Type: typeOf(ts.Kind), Name: t.Name, Engine: state.EngineCloud, Status: state.TaskIdle})
	if err != nil {
		return err
	}
	// The status first, from the one read (a finder may begin a run meanwhile: then
	// read again), so that no finder starts a run from here on.
	for try := 0; ; try++ {
		if rec.Status == state.TaskStopped {
			return fmt.Errorf("%w: %q is stopped already", ErrBusy, t.Name)
		}
		err = remote.SetTaskStatus(ctx, t.ID, []state.TaskStatus{rec.Status}, state.TaskStopped, "")
		if !errors.Is(err, state.ErrConflict) || try == 3 {
			break
		}
		if rec, err = remote.GetTask(ctx, t.ID); err != nil {
			return err
		}
	}
	if err != nil {
		return fmt.Errorf("stop %q: %w", t.Name, err)
	}
	var errs []error
	n, err := d.StopRuns(ctx, ts, "stopped from Transfer Hub")
	errs = append(errs, err, d.ScaleWorkers(ctx, ts, true), d.PauseSchedule(ctx, ts, true))
	mark, _ := json.Marshal(stopMark{Status: rec.Status, RunID: rec.RunID, StoppedRuns: n})
	errs = append(errs, remote.SetMeta(ctx, t.ID, metaStopped, string(mark)))
	t.Log.Logger(slog.LevelInfo, r.log, t.ID).Info("stopped: workers scaled to zero, schedule paused; resume to go on", "was", string(rec.Status))
	r.observer.TaskChanged(t.ID)
	return errors.Join(errs...)
}

// metaStopped notes in a task's table what it was doing when it was stopped.
const metaStopped = "desktop-stopped"

// stopMark is what a stop notes: the task's status and run then, and how many finders
// or executions it stopped (a run asked for that had not begun yet).
type stopMark struct {
	Status      state.TaskStatus `json:"status"`
	RunID       string           `json:"runId"`
	StoppedRuns int              `json:"stoppedRuns"`
}

// Delete implements Runner: the task's stack, its secrets, its S3 event notification
// and its lists go; its table too unless opt.KeepData. A task whose stack never came up
// has nothing to delete.
func (r *CloudRunner) Delete(ctx context.Context, t Task, opt DeleteOptions) error {
	_, _, p, err := r.placementOf(ctx, t)
	if err != nil {
		return err
	}
	acct, err := r.account(ctx, p)
	if err != nil {
		return err
	}
	if ts, err := r.stackOf(ctx, t, p, true); err == nil {
		_, _ = acct.Deployer.StopRuns(ctx, ts, "the task is being deleted")
	}
	op := r.startOp(t.ID, OpDelete, deploy.TaskStackName(p.ControlPlane, t.ID), p)
	res, err := acct.Deployer.DeleteTask(ctx, deploy.DeleteRequest{ControlPlane: p.ControlPlane, TaskID: t.ID, KeepData: opt.KeepData}, op.Progress)
	if err != nil && (errors.Is(err, deploy.ErrNoControlPlane) || strings.Contains(err.Error(), "no task "+t.ID)) {
		err = nil // never deployed
	}
	op.End(res.Outcome, err)
	if err != nil {
		return err
	}
	logger := t.Log.Logger(slog.LevelInfo, r.log, t.ID)
	for _, it := range res.Survives {
		logger.Info("kept", "what", it.What, "name", it.Name)
	}
	r.mu.Lock()
	delete(r.tasks, t.ID)
	r.mu.Unlock()
	return nil
}

// --- live figures ------------------------------------------------------------------

// Parts are the figures of a cloud task a refresh reads.
type Parts uint8

// The parts and what each costs.
const (
	PartRecord Parts = 1 << iota // the task's record in its table: 1 call
	PartQueue                    // queue and dead-letter queue: 2 calls (S3)
	PartFleet                    // the worker group: 1 call (S3)
	PartLogs                     // the agents' newest log lines: 2 calls
	PartEvents                   // the stack's newest events: 1 call
	// PartExecutions: an image task's newest state machine executions (1 call) and the
	// error and cause of up to 2 failed ones not described before (1 call each).
	PartExecutions
)

// Calls is what reading the parts costs.
func (p Parts) Calls() int {
	n := 0
	for part, c := range map[Parts]int{PartRecord: 1, PartQueue: 2, PartFleet: 1, PartLogs: 2, PartEvents: 1, PartExecutions: 1 + describesPerRead} {
		if p&part != 0 {
			n += c
		}
	}
	return n
}

// CloudPanels are a cloud task's figures beyond its counters, as last read.
type CloudPanels struct {
	Queue    *deploy.QueueDepth     `json:"queue,omitempty"`
	QueueAt  time.Time              `json:"queueAt,omitzero"`
	Fleet    *deploy.FleetSize      `json:"fleet,omitempty"`
	FleetAt  time.Time              `json:"fleetAt,omitzero"`
	Logs     []deploy.LogLine       `json:"logs"`
	LogsAt   time.Time              `json:"logsAt,omitzero"`
	Events   []deploy.ResourceEvent `json:"events"`
	EventsAt time.Time              `json:"eventsAt,omitzero"`
	// Executions are an image task's newest state machine executions, newest first.
	Executions   []deploy.Execution `json:"executions"`
	ExecutionsAt time.Time          `json:"executionsAt,omitzero"`
	// Problems say why a part could not be read.
	Problems map[string]string `json:"problems,omitempty"`
}

// Log lines and events a panel keeps.
const (
	panelLogLines  = 200
	panelEvents    = 25
	panelExecution = 10
	// describesPerRead: failed executions described in one read at most (their error and
	// cause; an ended execution's never change, so each is described once).
	describesPerRead = 2
)

// Refresh reads the parts of a cloud task's figures the monitor asks for, as far as
// the task's call budget allows at limit calls a minute (the monitor lowers it when
// nothing shows the task); what does not fit waits for the next ask. The record goes
// to the observer as progress (and as a change when its status or run moved).
func (r *CloudRunner) Refresh(ctx context.Context, t Task, parts Parts, limit int) error {
	ct := r.task(t.ID)
	ct.budget.SetLimit(min(limit, r.limit))
	rec, _, p, err := r.placementOf(ctx, t)
	if err != nil {
		return err
	}
	if rec.Status == state.TaskDeploying || rec.Status == state.TaskDeleting || rec.Status == state.TaskDraft ||
		rec.Status == state.TaskFailed && rec.StackID == "" {
		return nil // no stack to read yet (or any more)
	}
	b := ct.budget
	ctx = callbudget.With(ctx, b)
	need := parts
	if parts&(PartQueue|PartFleet|PartLogs|PartEvents|PartExecutions) != 0 {
		ct.mu.Lock()
		fresh := ct.ts != nil
		ct.mu.Unlock()
		if !fresh && !b.Allow(3) {
			parts &^= PartQueue | PartFleet | PartLogs | PartEvents | PartExecutions
		}
	}
	if parts&PartRecord != 0 && b.Allow(1) {
		r.readRecord(ctx, t, p)
	}
	if parts&^PartRecord == 0 {
		return nil
	}
	ts, err := r.stackOf(ctx, t, p, true)
	if err != nil {
		r.problem(t.ID, "stack", err)
		return nil
	}
	acct, err := r.account(ctx, p)
	if err != nil {
		return err
	}
	d := acct.Deployer
	s3 := ts.Kind == stack.KindS3Task
	if s3 && need&PartQueue != 0 && b.Allow(2) {
		q, err := d.Queue(ctx, ts)
		r.panel(t.ID, "queue", err, func(pn *CloudPanels) { pn.Queue, pn.QueueAt = &q, r.now() })
	}
	if s3 && need&PartFleet != 0 && b.Allow(1) {
		f, err := d.Fleet(ctx, ts)
		r.panel(t.ID, "fleet", err, func(pn *CloudPanels) { pn.Fleet, pn.FleetAt = &f, r.now() })
	}
	if need&PartLogs != 0 && b.Allow(2) {
		// From the newest line read (by AWS's clock, not this computer's), a minute back:
		// lines are shipped late, and the panel keeps each once.
		// Lines from before the current run's start are the previous run's: not read, and
		// dropped from the panel.
		ct.mu.Lock()
		since := r.now().Add(-time.Hour)
		if n := len(ct.panels.Logs); n > 0 {
			since = ct.panels.Logs[n-1].Time.Add(-time.Minute)
		}
		start := ct.runStart()
		ct.mu.Unlock()
		if since.Before(start) {
			since = start
		}
		lines, err := d.RecentLogs(ctx, ts, since, panelLogLines)
		r.panel(t.ID, "logs", err, func(pn *CloudPanels) {
			pn.Logs, pn.LogsAt = mergeLines(linesSince(pn.Logs, start), linesSince(lines, start)), r.now()
		})
	}
	if need&PartEvents != 0 && b.Allow(1) {
		evs, err := d.StackEvents(ctx, ts.StackID, panelEvents)
		r.panel(t.ID, "events", err, func(pn *CloudPanels) { pn.Events, pn.EventsAt = evs, r.now() })
	}
	if !s3 && need&PartExecutions != 0 && b.Allow(1) {
		exs, err := d.RecentExecutions(ctx, ts, panelExecution)
		if err == nil {
			exs = r.describeFailed(ctx, ct, d, exs)
		}
		r.panel(t.ID, "executions", err, func(pn *CloudPanels) { pn.Executions, pn.ExecutionsAt = exs, r.now() })
	}
	// No change to signal for the panels: the page asks for them itself (Panels), and a
	// change drops the monitor's page indexes, so paging back from a far page became a
	// long skip again after every read.
	return nil
}

// describeFailed adds their error and cause to the failed executions listed: from an
// earlier read, or described now (at most describesPerRead, as the budget allows; the
// others on a later read).
func (r *CloudRunner) describeFailed(ctx context.Context, ct *cloudTask, d *deploy.Deployer, exs []deploy.Execution) []deploy.Execution {
	ct.mu.Lock()
	known := map[string]deploy.Execution{}
	for _, e := range ct.panels.Executions {
		if e.Failed() && (e.Error != "" || e.Cause != "") {
			known[e.ARN] = e
		}
	}
	ct.mu.Unlock()
	described := 0
	for i, e := range exs {
		if !e.Failed() {
			continue
		}
		if k, ok := known[e.ARN]; ok {
			exs[i].Error, exs[i].Cause = k.Error, k.Cause
			continue
		}
		if described == describesPerRead || !ct.budget.Allow(1) {
			continue
		}
		described++
		full, err := d.DescribeExecution(ctx, e.ARN)
		if err != nil {
			r.log.Debug("describe a failed execution", "task", ct.id, "execution", e.ARN, "err", err)
			continue
		}
		exs[i].Error, exs[i].Cause = full.Error, full.Cause
	}
	return exs
}

// readRecord reads the task's record from its table (one call).
func (r *CloudRunner) readRecord(ctx context.Context, t Task, p Placement) {
	ct := r.task(t.ID)
	ct.mu.Lock()
	asks := ct.runAsks // the runs asked for before this read
	ct.mu.Unlock()
	remote, err := r.remoteStore(ctx, t, p)
	var rec state.Task
	if err == nil {
		rec, err = remote.GetTask(ctx, t.ID)
	}
	ct.mu.Lock()
	prev, prevErr := ct.rec, ct.recErr
	ct.readOnce = true
	switch {
	case errors.Is(err, state.ErrNotFound):
		ct.rec, ct.recErr = nil, "" // deployed, never run
	case err != nil:
		ct.recErr = err.Error()
	default:
		ct.rec, ct.recAt, ct.recErr, ct.recAsks = &rec, r.now(), "", asks
	}
	now, nowErr := ct.rec, ct.recErr
	at := ct.recAt
	ct.mu.Unlock()
	// The chart samples a run while it is active, and the read that sees it end (its last
	// step of counters). A finished run's record read again adds nothing: each read
	// (every few seconds with its page open) grew a flat tail to the chart and pushed it
	// to the page, which rendered it again.
	if now != nil && (now.Status == state.TaskRunning ||
		prev != nil && prev.Status == state.TaskRunning && prev.RunID == now.RunID) {
		r.observer.TaskProgress(t.ID, progressOf(*now, at))
	}
	if recordMoved(prev, now) || nowErr != prevErr {
		r.observer.TaskChanged(t.ID)
	}
}

// recordMoved reports whether a task's record read again says something new that the
// task's view shows and no progress report carries: its status, run or last error, or
// figures that moved while no run is active (an active run's go as progress). A record
// read again unchanged is no change (a change drops the monitor's page indexes).
func recordMoved(prev, now *state.Task) bool {
	if prev == nil || now == nil {
		return (prev == nil) != (now == nil)
	}
	if prev.Status != now.Status || prev.RunID != now.RunID || prev.LastError != now.LastError {
		return true
	}
	return now.Status != state.TaskRunning && (prev.Counters != now.Counters || prev.FinderDone != now.FinderDone ||
		!prev.StartedAt.Equal(now.StartedAt) || !prev.FinishedAt.Equal(now.FinishedAt))
}

func (r *CloudRunner) panel(id, what string, err error, set func(*CloudPanels)) {
	ct := r.task(id)
	ct.mu.Lock()
	defer ct.mu.Unlock()
	if err != nil {
		if ct.panels.Problems == nil {
			ct.panels.Problems = map[string]string{}
		}
		ct.panels.Problems[what] = err.Error()
		return
	}
	delete(ct.panels.Problems, what)
	set(&ct.panels)
}

func (r *CloudRunner) problem(id, what string, err error) { r.panel(id, what, err, nil) }

// mergeLines adds new log lines to the kept ones (the reads overlap), in time order,
// keeping the newest panelLogLines.
func mergeLines(old, add []deploy.LogLine) []deploy.LogLine {
	seen := map[deploy.LogLine]bool{}
	for _, l := range old {
		seen[l] = true
	}
	out := append([]deploy.LogLine{}, old...)
	for _, l := range add {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	if n := len(out); n > panelLogLines {
		out = out[n-panelLogLines:]
	}
	return out
}

// runStart is when the task's current run started, as its record last read says
// (zero: unknown); ct.mu held.
func (ct *cloudTask) runStart() time.Time {
	if ct.rec == nil {
		return time.Time{}
	}
	return ct.rec.StartedAt
}

// linesSince returns the lines at or after start, in a new slice.
func linesSince(lines []deploy.LogLine, start time.Time) []deploy.LogLine {
	out := []deploy.LogLine{}
	for _, l := range lines {
		if !l.Time.Before(start) {
			out = append(out, l)
		}
	}
	return out
}

// Panels returns a cloud task's panels as last read (no call); the log lines are the
// current run's (a new run's record read hides the previous run's at once).
func (r *CloudRunner) Panels(id string) CloudPanels {
	ct := r.task(id)
	ct.mu.Lock()
	defer ct.mu.Unlock()
	pn := ct.panels
	pn.Logs = linesSince(pn.Logs, ct.runStart())
	pn.Events = append([]deploy.ResourceEvent{}, pn.Events...)
	pn.Executions = append([]deploy.Execution{}, pn.Executions...)
	return pn
}

// RemoteState is what the runner knows of a cloud task beyond its file: its record in
// its stack's table as last read, and the operation on its stack.
type RemoteState struct {
	Record *state.Task `json:"-"`
	ReadAt time.Time   `json:"readAt,omitzero"`
	// Problem says why the record could not be read.
	Problem   string     `json:"problem,omitempty"`
	Operation *Operation `json:"operation,omitempty"`
	Busy      bool       `json:"busy"`
}

// Remote returns what the runner knows of a task (nothing of a task it never heard of,
// such as a local one: no state is made for it).
func (r *CloudRunner) Remote(id string) RemoteState {
	r.mu.Lock()
	ct := r.tasks[id]
	r.mu.Unlock()
	if ct == nil {
		return RemoteState{}
	}
	ct.mu.Lock()
	defer ct.mu.Unlock()
	rs := RemoteState{ReadAt: ct.recAt, Problem: ct.recErr, Busy: ct.busy}
	if ct.rec != nil {
		rec := *ct.rec
		rs.Record = &rec
	}
	if ct.op != nil {
		op := ct.op.Snapshot()
		rs.Operation = &op
	}
	return rs
}
