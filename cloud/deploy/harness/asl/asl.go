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
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
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

type states struct {
	startAt string
	byName  map[string]*state
}

type retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds *float64 `json:"IntervalSeconds"`
	MaxAttempts     *int     `json:"MaxAttempts"`
	BackoffRate     *float64 `json:"BackoffRate"`
	MaxDelaySeconds *float64 `json:"MaxDelaySeconds"`
	JitterStrategy  string   `json:"JitterStrategy"`
}

type catcher struct {
	ErrorEquals []string
	ResultPath  *string
	resultNull  bool
	Next        string
}

type state struct {
	name           string
	Type           string
	Next           string
	End            bool
	inputPath      *string // nil: $; "" with nullInput: null
	nullInput      bool
	outputPath     *string
	nullOutput     bool
	resultPath     *string
	nullResult     bool
	Parameters     any
	ResultSelector any
	Result         any
	hasResult      bool
	Resource       string
	TimeoutSeconds float64
	Retry          []retrier
	Catch          []catcher
	// Map
	ItemsPath      string
	MaxConcurrency int
	ItemSelector   any
	processor      *states
	// Choice
	Choices []map[string]any
	Default string
	// Fail
	Error, Cause string
	// Wait
	Seconds float64
}

// known fields per state type: anything else is refused, so a misspelt field fails
// the parse instead of being ignored.
var known = map[string][]string{
	"Task":    {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "Retry", "Catch"},
	"Map":     {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath", "MaxConcurrency", "ItemSelector", "ItemProcessor", "Iterator", "Retry", "Catch"},
	"Pass":    {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	"Choice":  {"Type", "Comment", "InputPath", "OutputPath", "Choices", "Default"},
	"Wait":    {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Seconds"},
	"Succeed": {"Type", "Comment", "InputPath", "OutputPath"},
	"Fail":    {"Type", "Comment", "Error", "Cause"},
}

// Parse reads a definition (the JSON of a state machine).
func Parse(def []byte) (*Machine, error) {
	var raw map[string]any
	if err := json.Unmarshal(def, &raw); err != nil {
		return nil, fmt.Errorf("state machine definition: %w", err)
	}
	if ql, _ := raw["QueryLanguage"].(string); ql != "" && ql != "JSONPath" {
		return nil, fmt.Errorf("state machine definition: query language %s is not supported", ql)
	}
	top, err := parseStates(raw, "")
	if err != nil {
		return nil, err
	}
	m := &Machine{top: top}
	if t, ok := raw["TimeoutSeconds"].(float64); ok {
		m.timeout = time.Duration(t * float64(time.Second))
	}
	return m, nil
}

func parseStates(raw map[string]any, where string) (*states, error) {
	s := &states{byName: map[string]*state{}}
	s.startAt, _ = raw["StartAt"].(string)
	sm, _ := raw["States"].(map[string]any)
	if s.startAt == "" || len(sm) == 0 {
		return nil, fmt.Errorf("state machine%s: StartAt and States are required", where)
	}
	for name, v := range sm {
		st, err := parseState(name, v, where)
		if err != nil {
			return nil, err
		}
		s.byName[name] = st
	}
	if s.byName[s.startAt] == nil {
		return nil, fmt.Errorf("state machine%s: StartAt %q is not a state", where, s.startAt)
	}
	for name, st := range s.byName {
		targets := []string{st.Next, st.Default}
		for _, c := range st.Catch {
			targets = append(targets, c.Next)
		}
		for _, c := range st.Choices {
			n, _ := c["Next"].(string)
			targets = append(targets, n)
		}
		for _, t := range targets {
			if t != "" && s.byName[t] == nil {
				return nil, fmt.Errorf("state %s%s: Next %q is not a state", name, where, t)
			}
		}
		terminal := st.Type == "Choice" || st.Type == "Succeed" || st.Type == "Fail"
		if !terminal && st.Next == "" && !st.End {
			return nil, fmt.Errorf("state %s%s: neither Next nor End", name, where)
		}
	}
	return s, nil
}

func parseState(name string, v any, where string) (*state, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("state %s%s is not an object", name, where)
	}
	st := &state{name: name}
	st.Type, _ = m["Type"].(string)
	fields, ok := known[st.Type]
	if !ok {
		return nil, fmt.Errorf("state %s%s: type %q is not supported", name, where, st.Type)
	}
	for k := range m {
		if !contains(fields, k) {
			return nil, fmt.Errorf("state %s%s (%s): field %q is not supported", name, where, st.Type, k)
		}
	}
	st.Next, _ = m["Next"].(string)
	st.End, _ = m["End"].(bool)
	st.inputPath, st.nullInput = pathField(m, "InputPath")
	st.outputPath, st.nullOutput = pathField(m, "OutputPath")
	st.resultPath, st.nullResult = pathField(m, "ResultPath")
	st.Parameters = m["Parameters"]
	st.ResultSelector = m["ResultSelector"]
	st.Result, st.hasResult = m["Result"]
	st.Resource, _ = m["Resource"].(string)
	st.TimeoutSeconds, _ = m["TimeoutSeconds"].(float64)
	st.ItemsPath, _ = m["ItemsPath"].(string)
	if mc, ok := m["MaxConcurrency"].(float64); ok {
		st.MaxConcurrency = int(mc)
	}
	st.ItemSelector = m["ItemSelector"]
	if st.ItemSelector == nil && st.Type == "Map" {
		st.ItemSelector, st.Parameters = st.Parameters, nil // Parameters is Map's older name for it
	}
	st.Default, _ = m["Default"].(string)
	st.Error, _ = m["Error"].(string)
	st.Cause, _ = m["Cause"].(string)
	st.Seconds, _ = m["Seconds"].(float64)
	if cs, ok := m["Choices"].([]any); ok {
		for _, c := range cs {
			cm, ok := c.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("state %s%s: a choice is not an object", name, where)
			}
			st.Choices = append(st.Choices, cm)
		}
	}
	if r, ok := m["Retry"]; ok {
		if err := remarshal(r, &st.Retry); err != nil {
			return nil, fmt.Errorf("state %s%s: Retry: %w", name, where, err)
		}
	}
	if cs, ok := m["Catch"].([]any); ok {
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			var ct catcher
			ct.Next, _ = cm["Next"].(string)
			for _, e := range asList(cm["ErrorEquals"]) {
				s, _ := e.(string)
				ct.ErrorEquals = append(ct.ErrorEquals, s)
			}
			if len(ct.ErrorEquals) == 0 || ct.Next == "" {
				return nil, fmt.Errorf("state %s%s: a catcher needs ErrorEquals and Next", name, where)
			}
			ct.ResultPath, ct.resultNull = pathField(cm, "ResultPath")
			for k := range cm {
				if !contains([]string{"ErrorEquals", "ResultPath", "Next", "Comment"}, k) {
					return nil, fmt.Errorf("state %s%s: Catch field %q is not supported", name, where, k)
				}
			}
			st.Catch = append(st.Catch, ct)
		}
	}
	if st.Type == "Map" {
		proc, _ := m["ItemProcessor"].(map[string]any)
		if proc == nil {
			proc, _ = m["Iterator"].(map[string]any)
		}
		if proc == nil {
			return nil, fmt.Errorf("state %s%s: a Map needs an ItemProcessor", name, where)
		}
		if pc, ok := proc["ProcessorConfig"].(map[string]any); ok {
			if mode, _ := pc["Mode"].(string); mode != "" && mode != "INLINE" {
				return nil, fmt.Errorf("state %s%s: Map mode %s is not supported (INLINE only)", name, where, mode)
			}
		}
		sub, err := parseStates(proc, " (in "+name+")")
		if err != nil {
			return nil, err
		}
		st.processor = sub
	}
	if st.Type == "Task" && st.Resource == "" {
		return nil, fmt.Errorf("state %s%s: a Task needs a Resource", name, where)
	}
	return st, nil
}

// pathField reads a path field: absent (nil, false), null (nil, true) or a path.
func pathField(m map[string]any, k string) (*string, bool) {
	v, ok := m[k]
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	s, _ := v.(string)
	return &s, false
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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

// rule evaluates one Choice rule.
func (r *run) rule(c map[string]any, in any) (bool, error) {
	if and, ok := c["And"].([]any); ok {
		for _, x := range and {
			xm, _ := x.(map[string]any)
			ok, err := r.rule(xm, in)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	if or, ok := c["Or"].([]any); ok {
		for _, x := range or {
			xm, _ := x.(map[string]any)
			ok, err := r.rule(xm, in)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	if not, ok := c["Not"].(map[string]any); ok {
		ok, err := r.rule(not, in)
		return !ok, err
	}
	variable, _ := c["Variable"].(string)
	p, err := parsePath(variable)
	if err != nil {
		return false, err
	}
	v, present := p.get(in, r.ctx)
	ops := make([]string, 0, 1)
	for k := range c {
		if k != "Variable" && k != "Next" && k != "Comment" {
			ops = append(ops, k)
		}
	}
	sort.Strings(ops)
	if len(ops) != 1 {
		return false, fmt.Errorf("a choice rule needs exactly one comparison, has %v", ops)
	}
	op, want := ops[0], c[ops[0]]
	if strings.HasSuffix(op, "Path") && op != "IsPresent" {
		wp, err := parsePath(fmt.Sprint(want))
		if err != nil {
			return false, err
		}
		if want, _ = wp.get(in, r.ctx); true {
			op = strings.TrimSuffix(op, "Path")
		}
	}
	switch op {
	case "IsPresent":
		return present == want.(bool), nil
	case "IsNull":
		return (present && v == nil) == want.(bool), nil
	}
	if !present {
		return false, fmt.Errorf("choice variable %s matched nothing", variable)
	}
	switch op {
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == want.(bool), nil
	case "IsString":
		_, ok := v.(string)
		return ok == want.(bool), nil
	case "IsNumeric":
		_, ok := v.(float64)
		return ok == want.(bool), nil
	case "BooleanEquals":
		b, ok := v.(bool)
		return ok && b == want, nil
	case "StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals", "StringGreaterThanEquals":
		s, ok := v.(string)
		w, _ := want.(string)
		if !ok {
			return false, nil
		}
		return compare(strings.Compare(s, w), strings.TrimPrefix(op, "String")), nil
	case "StringMatches":
		s, ok := v.(string)
		return ok && globMatch(fmt.Sprint(want), s), nil
	case "NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals":
		f, ok := v.(float64)
		w, _ := want.(float64)
		if !ok {
			return false, nil
		}
		c := 0
		if f < w {
			c = -1
		} else if f > w {
			c = 1
		}
		return compare(c, strings.TrimPrefix(op, "Numeric")), nil
	}
	return false, fmt.Errorf("choice comparison %s is not supported", op)
}

func compare(c int, op string) bool {
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// globMatch: * matches any run of characters.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
