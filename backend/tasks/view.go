package tasks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"transferhub/cloud/deploy"
	"transferhub/cloud/state"
)

// View is a task as the UI lists and shows it.
type View struct {
	ID     string           `json:"id"`
	Type   state.TaskType   `json:"type"`
	Name   string           `json:"name"`
	Engine state.Engine     `json:"engine"`
	Status state.TaskStatus `json:"status"`
	Spec   Definition       `json:"spec"`
	// Source and Destination describe the two ends in one line each.
	Source      string         `json:"source"`
	Destination string         `json:"destination"`
	Counters    state.Counters `json:"counters"`
	RunID       string         `json:"runId"`
	FinderDone  bool           `json:"finderDone"`
	LastError   string         `json:"lastError"`
	CreatedAt   time.Time      `json:"createdAt"`
	StartedAt   time.Time      `json:"startedAt,omitzero"`
	FinishedAt  time.Time      `json:"finishedAt,omitzero"`
	NextRun     time.Time      `json:"nextRun,omitzero"`
	// Active: a run is going on in this app right now.
	Active bool `json:"active"`
	// Problem says why the task cannot be used (unreadable file or definition).
	Problem string `json:"problem,omitempty"`
	// What the user can do now.
	CanStart  bool `json:"canStart"`
	CanStop   bool `json:"canStop"`
	CanResume bool `json:"canResume"`
	CanRetry  bool `json:"canRetry"`
	// StateFile is the task's SQLite file (thub s3 report --state FILE reads it).
	StateFile string `json:"stateFile"`
	// Cloud is a cloud task's stack: where it runs, what is being done to it, and when
	// its figures were read (nil for a local task).
	Cloud *CloudView `json:"cloud,omitempty"`
}

// CloudView is what a cloud task's page shows of its stack.
type CloudView struct {
	Placement
	// ProfileName names the account's profile ("" when it is not on this computer).
	ProfileName string `json:"profileName"`
	Stack       string `json:"stack"`
	// Deployed: the stack is up (runs can start).
	Deployed bool `json:"deployed"`
	// Operation is the operation on the stack under way (Busy) or the last one this
	// app followed: its progress, resources, first failure.
	Operation *Operation `json:"operation,omitempty"`
	Busy      bool       `json:"busy"`
	// ReadAt is when the figures were last read from the stack's table; Problem says
	// why they could not be.
	ReadAt  time.Time `json:"readAt,omitzero"`
	Problem string    `json:"problem,omitempty"`
	// Scheduled: the stack starts runs itself (a schedule or S3 events).
	Scheduled bool `json:"scheduled"`
	// What the user can do to the stack.
	CanEdit     bool `json:"canEdit"`
	CanRedeploy bool `json:"canRedeploy"`
	CanDelete   bool `json:"canDelete"`
}

// List returns every task, newest first.
func (m *Manager) List(ctx context.Context) ([]View, error) {
	es := m.folder.all()
	out := make([]View, 0, len(es))
	for _, e := range es {
		out = append(out, m.view(ctx, e))
	}
	slices.SortFunc(out, func(a, b View) int { return newestFirst(a.CreatedAt, b.CreatedAt, a.ID, b.ID) })
	return out, nil
}

// Get returns one task.
func (m *Manager) Get(ctx context.Context, id string) (View, error) {
	e, err := m.folder.get(id)
	if err != nil {
		return View{}, err
	}
	return m.view(ctx, e), nil
}

func (m *Manager) view(ctx context.Context, e *entry) View {
	v := View{ID: e.id, Name: e.id, Engine: state.EngineLocal, StateFile: e.path, CreatedAt: e.created}
	m.mu.Lock()
	if id, ok := m.sched[e.id]; ok {
		v.NextRun = m.cron.Entry(id).Next
	}
	m.mu.Unlock()
	if e.db == nil {
		v.Status, v.Problem = state.TaskFailed, e.problem
		return v
	}
	// What the cloud runner knows is taken before the task's file is read: an operation
	// on a stack writes how it ended to the file before the runner says it is no longer
	// busy, so a view that is not busy shows that end. (Read the other way round, a
	// deploy that failed between the two reads showed neither busy nor its failure.)
	var rs RemoteState
	if m.cloud != nil {
		rs = m.cloud.Remote(e.id)
	}
	t, err := e.db.GetTask(ctx, e.id)
	if err != nil {
		v.Status, v.Problem = state.TaskFailed, fmt.Sprintf("read the task: %v", err)
		return v
	}
	v.Type, v.Name, v.Engine, v.Status = t.Type, t.Name, t.Engine, t.Status
	v.Counters, v.RunID, v.FinderDone, v.LastError = t.Counters, t.RunID, t.FinderDone, t.LastError
	v.CreatedAt, v.StartedAt, v.FinishedAt = t.CreatedAt, t.StartedAt, t.FinishedAt
	r, noRunner := m.runner(t.Engine)
	if r != nil {
		_, v.Active = r.Progress(e.id)
	}
	d, err := DecodeDefinition(t.Definition)
	if err != nil {
		v.Problem = err.Error()
		return v
	}
	v.Spec = d
	v.Source, v.Destination = d.describe(m.profileInfo(ctx))
	if noRunner != nil {
		v.Problem = noRunner.Error()
		return v
	}
	if t.Engine == state.EngineCloud && m.cloud != nil && d.Cloud != nil {
		m.cloudView(ctx, &v, t, d, rs)
		return v
	}
	running := t.Status == state.TaskRunning || t.Status == state.TaskStopping
	v.CanStop = v.Active && t.Status == state.TaskRunning
	v.CanStart = !v.Active && !running
	// A run can be resumed when it stopped before it was complete.
	v.CanResume = !v.Active && t.RunID != "" && !t.Complete() &&
		(t.Status == state.TaskStopped || t.Status == state.TaskFailed || (running && !v.Active))
	v.CanRetry = !v.Active && !running && t.RunID != "" && t.Counters.FailedObjects > 0
	return v
}

// cloudView lays what the cloud runner knows of the task (rs: its record in the stack's
// table, the operation on its stack, taken before t was read) over the task's file, and
// says what can be done.
func (m *Manager) cloudView(ctx context.Context, v *View, t state.Task, d Definition, rs RemoteState) {
	name, _ := m.profileInfo(ctx)(d.Cloud.ProfileID)
	region := d.Cloud.Region
	if region == "" && m.creds != nil {
		if p, err := m.creds.Get(ctx, d.Cloud.ProfileID); err == nil {
			region = p.Region
		}
	}
	p := d.Cloud.placement(region)
	cv := &CloudView{Placement: p, ProfileName: name, Stack: deploy.TaskStackName(p.ControlPlane, t.ID), Operation: rs.Operation,
		Busy: rs.Busy, ReadAt: rs.ReadAt, Problem: rs.Problem}
	cv.Scheduled = d.Schedule.Kind != ScheduleNone || d.S3 != nil && d.S3.Events != "" && d.S3.Events != "none"
	cv.Deployed = t.StackID != "" && t.Status != state.TaskDeploying && t.Status != state.TaskDeleting && t.Status != state.TaskDraft
	v.Cloud = cv
	if cv.Deployed && rs.Record != nil {
		r := rs.Record
		v.Status, v.Counters, v.RunID, v.FinderDone, v.LastError = r.Status, r.Counters, r.RunID, r.FinderDone, r.LastError
		v.StartedAt, v.FinishedAt = r.StartedAt, r.FinishedAt
	}
	can := cv.Deployed && !cv.Busy
	v.Active = cv.Deployed && v.Status == state.TaskRunning
	v.CanStart = can && v.Status != state.TaskRunning && v.Status != state.TaskStopping
	v.CanStop = can && (v.Status == state.TaskRunning || cv.Scheduled && v.Status != state.TaskStopped)
	complete := v.FinderDone && v.Counters.Settled() >= v.Counters.FoundObjects
	v.CanResume = can && (v.Status == state.TaskStopped || v.Status == state.TaskFailed && v.RunID != "" && !complete)
	v.CanRetry = can && v.Status != state.TaskRunning && v.RunID != "" && v.Counters.FailedObjects > 0
	cv.CanEdit = can
	cv.CanRedeploy = !cv.Busy && (t.Status == state.TaskFailed && t.StackID == "" || t.Status == state.TaskDraft)
	cv.CanDelete = !cv.Busy && t.Status != state.TaskDeleting
}

// profileInfo returns a lookup of a profile's name and registry host ("" when unknown).
// Lists are rendered often while a page watches them and a profile lookup may ask the
// keychain, so answers are kept for a short while.
func (m *Manager) profileInfo(ctx context.Context) func(id string) (name, host string) {
	return func(id string) (string, string) {
		if id == "" || m.creds == nil {
			return "", ""
		}
		now := m.now()
		m.mu.Lock()
		c, ok := m.profiles[id]
		m.mu.Unlock()
		if ok && now.Sub(c.at) < profileCacheTTL {
			return c.name, c.host
		}
		p, err := m.creds.Get(ctx, id)
		if err != nil {
			return "", ""
		}
		m.mu.Lock()
		m.profiles[id] = profileInfo{name: p.Name, host: p.Host, at: now}
		m.mu.Unlock()
		return p.Name, p.Host
	}
}

const profileCacheTTL = 30 * time.Second

type profileInfo struct {
	name, host string
	at         time.Time
}

// describe renders the two ends for lists ("s3://bucket/prefix", a folder, a registry).
func (d Definition) describe(profile func(id string) (name, host string)) (src, dst string) {
	switch {
	case d.S3 != nil:
		return d.S3.Source.describe(), d.S3.Destination.describe()
	case d.Image != nil:
		s, t := d.Image.Source, d.Image.Destination
		switch s.Kind {
		case ECRKind:
			src = "Amazon ECR " + s.Region
			if len(s.References) > 0 {
				src += ": " + summarize(s.References)
			}
		default:
			src = summarize(s.References)
			if _, host := profile(s.ProfileID); host != "" {
				src = host + ": " + src
			}
		}
		switch t.Kind {
		case ECRKind:
			dst = "Amazon ECR " + t.Region
		default:
			dst = t.Registry
			if _, host := profile(t.ProfileID); host != "" {
				dst = host
			}
		}
		if t.Prefix != "" {
			dst += "/" + t.Prefix
		}
	}
	return src, dst
}

func (l Location) describe() string {
	if l.Kind == LocationLocal {
		return l.Path
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

func summarize(refs []string) string {
	if len(refs) <= 2 {
		return strings.Join(refs, ", ")
	}
	return fmt.Sprintf("%s, %s and %d more", refs[0], refs[1], len(refs)-2)
}
