// Package asl interprets state machines written in Amazon States Language (JSONPath
// flavour), for tests that must run a deployed state machine without AWS Step
// Functions: Task (the caller runs each resource), Map (inline, MaxConcurrency), Pass,
// Choice, Wait, Succeed and Fail, with InputPath, Parameters, ResultSelector,
// ResultPath, OutputPath, Retry (interval, back-off, MaxDelaySeconds), Catch, state and
// execution TimeoutSeconds, and the intrinsic functions the templates use. What it does
// not know (Parallel, distributed maps, JSONata) it refuses when it parses the
// definition, so a template that needs more fails its test instead of running wrongly.
package asl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Error is a Step Functions error: a name (States.TaskFailed, States.Timeout, a
// Fail state's Error, a function's error type ...) and its cause.
type Error struct {
	Name  string
	Cause string
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// Tasks runs a Task state's resource with its (template-applied) parameters. An
// *Error return is the task's error as Step Functions names it; any other error is
// States.TaskFailed with the error's text as the cause.
type Tasks interface {
	RunTask(ctx context.Context, resource string, params any) (any, error)
}

// TasksFunc adapts a function.
type TasksFunc func(ctx context.Context, resource string, params any) (any, error)

// RunTask calls f.
func (f TasksFunc) RunTask(ctx context.Context, resource string, params any) (any, error) {
	return f(ctx, resource, params)
}

// Event is one thing that happened in a run (for tests and logs).
type Event struct {
	Type    string // StateEntered, StateExited, TaskFailed, TaskRetry, Caught, MapIteration
	State   string
	Attempt int // retries: the retry about to start (1 = first retry)
	Wait    time.Duration
	Err     *Error
}

// Options are how a run goes.
type Options struct {
	Tasks Tasks
	// Sleep waits (retries' intervals, Wait states); default: time, honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnEvent, when set, gets every event (from several goroutines in a Map).
	OnEvent func(Event)
	// Context is the context object's Execution and StateMachine entries ($$).
	Context map[string]any
}

// Machine is a parsed state machine.
type Machine struct {
	top     *states
	timeout time.Duration
}

// Run runs the machine on input (JSON data: see Normalize). It returns the output, or
// the *Error the execution failed with (States.Timeout when it ran longer than its
// TimeoutSeconds).
func (m *Machine) Run(ctx context.Context, input any, o Options) (any, error) {
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Tasks == nil {
		o.Tasks = TasksFunc(func(context.Context, string, any) (any, error) {
			return nil, errors.New("no task runner")
		})
	}
	if m.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, m.timeout, errExecutionTimeout)
		defer cancel()
	}
	r := &run{o: o, ctx: map[string]any{}}
	for k, v := range o.Context {
		r.ctx[k] = v
	}
	out, err := r.states(ctx, m.top, input)
	if err != nil && errors.Is(context.Cause(ctx), errExecutionTimeout) {
		return nil, &Error{Name: "States.Timeout", Cause: fmt.Sprintf("the execution ran longer than its TimeoutSeconds (%s)", m.timeout)}
	}
	return out, err
}

var errExecutionTimeout = errors.New("execution timed out")

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type run struct {
	o   Options
	ctx map[string]any // the context object ($$)
}

func (r *run) event(e Event) {
	if r.o.OnEvent != nil {
		r.o.OnEvent(e)
	}
}

func (r *run) states(ctx context.Context, s *states, input any) (any, error) {
	cur := s.byName[s.startAt]
	data := input
	for {
		if err := ctx.Err(); err != nil {
			return nil, &Error{Name: "States.Timeout", Cause: err.Error()}
		}
		r.event(Event{Type: "StateEntered", State: cur.name})
		out, next, err := r.state(ctx, cur, data)
		if err != nil {
			return nil, err
		}
		r.event(Event{Type: "StateExited", State: cur.name})
		if next == "" {
			return out, nil
		}
		cur, data = s.byName[next], out
	}
}

// state runs one state; next is empty when the (sub-)machine ends.
func (r *run) state(ctx context.Context, st *state, raw any) (any, string, error) {
	switch st.Type {
	case "Succeed":
		out, err := r.inputOutput(st, raw)
		return out, "", err
	case "Fail":
		return nil, "", &Error{Name: st.Error, Cause: st.Cause}
	case "Choice":
		in, err := r.effectiveInput(st, raw)
		if err != nil {
			return nil, "", err
		}
		next := st.Default
		for _, c := range st.Choices {
			ok, err := r.rule(c, in)
			if err != nil {
				return nil, "", &Error{Name: "States.Runtime", Cause: fmt.Sprintf("state %s: %v", st.name, err)}
			}
			if ok {
				next, _ = c["Next"].(string)
				break
			}
		}
		if next == "" {
			return nil, "", &Error{Name: "States.NoChoiceMatched", Cause: fmt.Sprintf("no choice of state %s matched and it has no Default", st.name)}
		}
		out, err := r.output(st, in)
		return out, next, err
	case "Wait":
		if err := r.o.Sleep(ctx, time.Duration(st.Seconds*float64(time.Second))); err != nil {
			return nil, "", &Error{Name: "States.Timeout", Cause: err.Error()}
		}
		out, err := r.inputOutput(st, raw)
		return out, r.next(st), err
	case "Pass":
		in, err := r.effectiveInput(st, raw)
		if err != nil {
			return nil, "", err
		}
		result := in
		if st.hasResult {
			result = clone(st.Result)
		}
		out, err := r.result(st, raw, result)
		return out, r.next(st), err
	}
	// Task and Map: with retries and catchers.
	attempts := make([]int, len(st.Retry))
	for {
		result, err := r.work(ctx, st, raw)
		if err == nil {
			if st.ResultSelector != nil {
				if result, err = applyTemplate(st.ResultSelector, result, r.ctx); err != nil {
					return nil, "", asRuntime(st, err)
				}
			}
			out, err := r.result(st, raw, result)
			return out, r.next(st), err
		}
		e := asError(err)
		r.event(Event{Type: "TaskFailed", State: st.name, Err: e})
		if i := matchRetrier(st.Retry, e); i >= 0 {
			rt := st.Retry[i]
			max := 3
			if rt.MaxAttempts != nil {
				max = *rt.MaxAttempts
			}
			if attempts[i] < max {
				wait := retryWait(rt, attempts[i])
				attempts[i]++
				r.event(Event{Type: "TaskRetry", State: st.name, Attempt: attempts[i], Wait: wait, Err: e})
				if err := r.o.Sleep(ctx, wait); err != nil {
					return nil, "", &Error{Name: "States.Timeout", Cause: err.Error()}
				}
				continue
			}
		}
		for _, c := range st.Catch {
			if !matches(c.ErrorEquals, e) {
				continue
			}
			r.event(Event{Type: "Caught", State: st.name, Err: e})
			errOut := map[string]any{"Error": e.Name, "Cause": e.Cause}
			var out any = raw
			if !c.resultNull {
				p := "$"
				if c.ResultPath != nil {
					p = *c.ResultPath
				}
				pp, perr := parsePath(p)
				if perr != nil {
					return nil, "", asRuntime(st, perr)
				}
				if out, perr = pp.set(raw, errOut); perr != nil {
					return nil, "", asRuntime(st, perr)
				}
			}
			return out, c.Next, nil
		}
		return nil, "", e
	}
}

func (r *run) next(st *state) string {
	if st.End {
		return ""
	}
	return st.Next
}

// work runs a Task's resource or a Map's iterations once.
func (r *run) work(ctx context.Context, st *state, raw any) (any, error) {
	in, err := r.effectiveInput(st, raw)
	if err != nil {
		return nil, err
	}
	if st.Type == "Map" {
		return r.mapState(ctx, st, in)
	}
	params := in
	if st.Parameters != nil {
		if params, err = applyTemplate(st.Parameters, in, r.ctx); err != nil {
			return nil, asRuntime(st, err)
		}
	}
	tctx := ctx
	if st.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, time.Duration(st.TimeoutSeconds*float64(time.Second)))
		defer cancel()
	}
	out, err := r.o.Tasks.RunTask(tctx, st.Resource, params)
	if err != nil && tctx.Err() != nil && ctx.Err() == nil {
		return nil, &Error{Name: "States.Timeout", Cause: fmt.Sprintf("state %s ran longer than its TimeoutSeconds", st.name)}
	}
	return out, err
}

func (r *run) mapState(ctx context.Context, st *state, in any) (any, error) {
	items := in
	if st.ItemsPath != "" {
		p, err := parsePath(st.ItemsPath)
		if err != nil {
			return nil, asRuntime(st, err)
		}
		v, ok := p.get(in, r.ctx)
		if !ok {
			return nil, &Error{Name: "States.Runtime", Cause: fmt.Sprintf("state %s: ItemsPath %s matched nothing", st.name, st.ItemsPath)}
		}
		items = v
	}
	list, ok := items.([]any)
	if !ok {
		return nil, &Error{Name: "States.Runtime", Cause: fmt.Sprintf("state %s: the items are not an array", st.name)}
	}
	limit := st.MaxConcurrency
	if limit <= 0 {
		limit = len(list)
	}
	sem := make(chan struct{}, max(limit, 1))
	results := make([]any, len(list))
	errs := make([]error, len(list))
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, item := range list {
		select {
		case sem <- struct{}{}:
		case <-mctx.Done():
		}
		if mctx.Err() != nil {
			errs[i] = mctx.Err()
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sub := &run{o: r.o, ctx: clone(r.ctx).(map[string]any)}
			sub.ctx["Map"] = map[string]any{"Item": map[string]any{"Index": float64(i), "Value": item}}
			itemIn := item
			if st.ItemSelector != nil {
				v, err := applyTemplate(st.ItemSelector, in, sub.ctx)
				if err != nil {
					errs[i] = asRuntime(st, err)
					cancel()
					return
				}
				itemIn = v
			}
			r.event(Event{Type: "MapIteration", State: st.name, Attempt: i})
			out, err := sub.states(mctx, st.processor, itemIn)
			if err != nil {
				errs[i] = err
				cancel() // one failed iteration fails the Map
				return
			}
			results[i] = out
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Name: "States.Timeout", Cause: err.Error()}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

func (r *run) effectiveInput(st *state, raw any) (any, error) {
	if st.nullInput {
		return map[string]any{}, nil
	}
	if st.inputPath == nil {
		return raw, nil
	}
	p, err := parsePath(*st.inputPath)
	if err != nil {
		return nil, asRuntime(st, err)
	}
	v, ok := p.get(raw, r.ctx)
	if !ok {
		return nil, &Error{Name: "States.Runtime", Cause: fmt.Sprintf("state %s: InputPath %s matched nothing", st.name, *st.inputPath)}
	}
	return v, nil
}

func (r *run) inputOutput(st *state, raw any) (any, error) {
	in, err := r.effectiveInput(st, raw)
	if err != nil {
		return nil, err
	}
	return r.output(st, in)
}

// result puts a state's result at its ResultPath in its raw input, then OutputPath.
func (r *run) result(st *state, raw, result any) (any, error) {
	if st.Type == "Pass" && st.Parameters != nil && !st.hasResult {
		in, err := r.effectiveInput(st, raw)
		if err != nil {
			return nil, err
		}
		if result, err = applyTemplate(st.Parameters, in, r.ctx); err != nil {
			return nil, asRuntime(st, err)
		}
	}
	out := raw
	switch {
	case st.nullResult:
	case st.resultPath == nil:
		out = result
	default:
		p, err := parsePath(*st.resultPath)
		if err != nil {
			return nil, asRuntime(st, err)
		}
		if out, err = p.set(raw, result); err != nil {
			return nil, asRuntime(st, err)
		}
	}
	return r.output(st, out)
}

func (r *run) output(st *state, v any) (any, error) {
	if st.nullOutput {
		return map[string]any{}, nil
	}
	if st.outputPath == nil {
		return v, nil
	}
	p, err := parsePath(*st.outputPath)
	if err != nil {
		return nil, asRuntime(st, err)
	}
	out, ok := p.get(v, r.ctx)
	if !ok {
		return nil, &Error{Name: "States.Runtime", Cause: fmt.Sprintf("state %s: OutputPath %s matched nothing", st.name, *st.outputPath)}
	}
	return out, nil
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Name: "States.TaskFailed", Cause: err.Error()}
}

func asRuntime(st *state, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Name: "States.Runtime", Cause: fmt.Sprintf("state %s: %v", st.name, err)}
}

func matches(names []string, e *Error) bool {
	// States.ALL matches every error but States.Runtime (not retriable); States.TaskFailed
	// every error but that and States.Timeout.
	for _, n := range names {
		switch {
		case n == e.Name,
			n == "States.ALL" && e.Name != "States.Runtime",
			n == "States.TaskFailed" && e.Name != "States.Runtime" && e.Name != "States.Timeout":
			return true
		}
	}
	return false
}

func matchRetrier(rs []retrier, e *Error) int {
	for i, r := range rs {
		if matches(r.ErrorEquals, e) {
			return i
		}
	}
	return -1
}

// retryWait is IntervalSeconds × BackoffRate^(retries so far), capped by
// MaxDelaySeconds. (Jitter, when asked for, is left out: tests need fixed waits.)
func retryWait(r retrier, done int) time.Duration {
	interval, rate := 1.0, 2.0
	if r.IntervalSeconds != nil {
		interval = *r.IntervalSeconds
	}
	if r.BackoffRate != nil {
		rate = *r.BackoffRate
	}
	s := interval * math.Pow(rate, float64(done))
	if r.MaxDelaySeconds != nil && s > *r.MaxDelaySeconds {
		s = *r.MaxDelaySeconds
	}
	return time.Duration(s * float64(time.Second))
}
