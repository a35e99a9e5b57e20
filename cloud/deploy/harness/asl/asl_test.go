package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"transferhub/cloud/stack/cfnyaml"
)

// imageTaskDefinition is the image task template's state machine with its ${...}
// filled: the interpreter is tested on the definition the stacks deploy.
func imageTaskDefinition(t *testing.T, vars map[string]string) []byte {
	t.Helper()
	body, err := os.ReadFile("../../../stack/templates/image-task.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := cfnyaml.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	sub := tpl.Resources["StateMachine"].Properties["DefinitionString"].(map[string]any)["Fn::Sub"].([]any)
	def := sub[0].(string)
	defaults := map[string]string{"TaskId": "t1", "RunTimeoutSeconds": "3600", "AWS::Partition": "aws", "ListFunction.Arn": "arn:aws:lambda:us-east-1:123456789012:function:list",
		"MaxConcurrency": "2", "ClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c", "CopierTaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/copier:1",
		"Subnets": "subnet-1", "SecurityGroupId": "sg-1", "AssignPublicIp": "ENABLED", "RetryIntervalSeconds": "1", "RetryAttempts": "2"}
	for k, v := range vars {
		defaults[k] = v
	}
	out := regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(def, func(m string) string {
		v, ok := defaults[m[2:len(m)-1]]
		if !ok {
			t.Fatalf("the definition uses %s, which the test does not fill", m)
		}
		return v
	})
	return []byte(out)
}

// fakeImages plays the list Lambda and the copiers: batches whose copier fails
// failuresOf[batch] times (−1: always).
type fakeImages struct {
	batches    int
	failuresOf map[float64]int
	mu         sync.Mutex
	calls      map[float64]int
	running    atomic.Int32
	maxRunning atomic.Int32
	// pair, when set, holds the first copier until a second one runs (closed then): that
	// two copiers run at once is shown whatever the scheduling of a loaded machine.
	pair       chan struct{}
	pairOnce   sync.Once
	listErrors int
	// busy: the listing refuses as the Lambda does while another execution runs the task.
	busy bool
	// lists and releases are the executions the Lambda was invoked for.
	lists, releases []any
}

// execution is the context object Step Functions gives every execution.
var execution = map[string]any{"Execution": map[string]any{"Id": "arn:aws:states:us-east-1:123456789012:execution:sm:e1", "Name": "e1"},
	"StateMachine": map[string]any{"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:sm", "Name": "sm"}}

func (f *fakeImages) RunTask(ctx context.Context, resource string, params any) (any, error) {
	p := params.(map[string]any)
	switch resource {
	case "arn:aws:states:::lambda:invoke":
		if p["FunctionName"] != "arn:aws:lambda:us-east-1:123456789012:function:list" {
			return nil, fmt.Errorf("wrong function %v", p["FunctionName"])
		}
		payload, _ := p["Payload"].(map[string]any)
		f.mu.Lock()
		if payload["release"] == true {
			f.releases = append(f.releases, payload["execution"])
			f.mu.Unlock()
			return map[string]any{"StatusCode": 200.0, "Payload": map[string]any{"taskId": "t1", "released": payload["execution"]}}, nil
		}
		f.lists = append(f.lists, payload["execution"])
		if f.busy {
			f.mu.Unlock()
			return nil, &Error{Name: "TaskBusy", Cause: `{"errorType":"TaskBusy","errorMessage":"another run of the task is under way"}`}
		}
		if f.listErrors > 0 {
			f.listErrors--
			f.mu.Unlock()
			return nil, &Error{Name: "Lambda.ServiceException", Cause: "try again"}
		}
		f.mu.Unlock()
		var batches []any
		for i := range f.batches {
			batches = append(batches, map[string]any{"taskId": "t1", "runId": "r1", "batch": float64(i), "items": []any{map[string]any{"source": fmt.Sprintf("reg/app:%d", i)}}})
		}
		return map[string]any{"ExecutedVersion": "$LATEST", "StatusCode": 200.0, "Payload": map[string]any{"taskId": "t1", "runId": "r1", "found": float64(f.batches), "batches": batches}}, nil
	case "arn:aws:states:::ecs:runTask.sync":
		ov := p["Overrides"].(map[string]any)["ContainerOverrides"].([]any)[0].(map[string]any)
		env := ov["Environment"].([]any)[0].(map[string]any)
		if env["Name"] != "THUB_INPUT_JSON" {
			return nil, fmt.Errorf("override %v", env)
		}
		var batch map[string]any
		if err := json.Unmarshal([]byte(env["Value"].(string)), &batch); err != nil {
			return nil, fmt.Errorf("THUB_INPUT_JSON is not the batch as JSON: %v", err)
		}
		n := f.running.Add(1)
		defer f.running.Add(-1)
		for {
			m := f.maxRunning.Load()
			if n <= m || f.maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		if f.pair != nil {
			if n >= 2 {
				f.pairOnce.Do(func() { close(f.pair) })
			}
			select {
			case <-f.pair:
			case <-ctx.Done():
			case <-time.After(time.Minute): // no second copier (a limit of 1): fail once, not per call
				f.pairOnce.Do(func() { close(f.pair) })
			}
		}
		time.Sleep(20 * time.Millisecond) // the copier runs a while: more than the limit at once would show
		b := batch["batch"].(float64)
		f.mu.Lock()
		f.calls[b]++
		calls := f.calls[b]
		f.mu.Unlock()
		if want := f.failuresOf[b]; want < 0 || calls <= want {
			return nil, &Error{Name: "States.TaskFailed", Cause: fmt.Sprintf(`{"StopCode":"EssentialContainerExited","Containers":[{"ExitCode":1}],"batch":%v}`, b)}
		}
		return map[string]any{"Containers": []any{map[string]any{"ExitCode": 0.0}}}, nil
	}
	return nil, fmt.Errorf("unexpected resource %s", resource)
}

type recorder struct {
	mu     sync.Mutex
	events []Event
	waits  []time.Duration
}

func (r *recorder) on(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *recorder) count(typ, state string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == typ && e.State == state {
			n++
		}
	}
	return n
}

func TestImageTaskRunSucceeds(t *testing.T) {
	m, err := Parse(imageTaskDefinition(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeImages{batches: 5, failuresOf: map[float64]int{3: 1}, calls: map[float64]int{}, pair: make(chan struct{})}
	var rec recorder
	out, err := m.Run(context.Background(), map[string]any{}, Options{Tasks: f, OnEvent: rec.on, Sleep: rec.sleep, Context: execution})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"runId": "r1", "found": 5.0, "anyFailed": false}
	if fmt.Sprint(out) != fmt.Sprint(want) {
		t.Errorf("output %v, want %v", out, want)
	}
	if got := f.maxRunning.Load(); got != 2 {
		t.Errorf("%d copiers ran at once, want MaxConcurrency 2", got)
	}
	if f.calls[3] != 2 || rec.count("TaskRetry", "CopyBatch") != 1 {
		t.Errorf("batch 3 ran %d times with %d retries, want 2 runs, 1 retry", f.calls[3], rec.count("TaskRetry", "CopyBatch"))
	}
	if len(rec.waits) != 1 || rec.waits[0] != time.Second {
		t.Errorf("retry waits %v, want [1s]", rec.waits)
	}
}

// The listing is told its execution, and the execution's last step releases the
// execution lease for it, after a failed run too (below); a busy task ends the execution
// at once, SUCCEEDED without copies, saying why.
func TestImageTaskExecutionLease(t *testing.T) {
	id := execution["Execution"].(map[string]any)["Id"]
	for _, fail := range []bool{false, true} {
		m, err := Parse(imageTaskDefinition(t, nil))
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeImages{batches: 2, failuresOf: map[float64]int{}, calls: map[float64]int{}}
		if fail {
			f.failuresOf[1] = -1
		}
		_, err = m.Run(context.Background(), map[string]any{}, Options{Tasks: f, Sleep: func(context.Context, time.Duration) error { return nil }, Context: execution})
		if fail != (err != nil) {
			t.Fatalf("failing batch %v: run ended with %v", fail, err)
		}
		if fmt.Sprint(f.lists) != fmt.Sprint([]any{id}) || fmt.Sprint(f.releases) != fmt.Sprint([]any{id}) {
			t.Errorf("failing batch %v: listed for %v, released for %v; want %v once each", fail, f.lists, f.releases, id)
		}
	}
	m, err := Parse(imageTaskDefinition(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeImages{batches: 2, failuresOf: map[float64]int{}, calls: map[float64]int{}, busy: true}
	var rec recorder
	out, err := m.Run(context.Background(), map[string]any{}, Options{Tasks: f, OnEvent: rec.on, Sleep: rec.sleep, Context: execution})
	if err != nil {
		t.Fatalf("a busy task ended the execution with %v, want success", err)
	}
	if len(f.calls) != 0 || len(f.releases) != 0 || rec.count("TaskRetry", "List") != 0 {
		t.Errorf("a busy task's execution copied %v, released %v, retried the listing %d times", f.calls, f.releases, rec.count("TaskRetry", "List"))
	}
	if !strings.Contains(fmt.Sprint(out), "TaskBusy") || !strings.Contains(fmt.Sprint(out), "another run of the task is under way") {
		t.Errorf("the execution's output does not say why it did nothing: %v", out)
	}
}

func TestImageTaskFailingBatchIsRetriedThenCaught(t *testing.T) {
	m, err := Parse(imageTaskDefinition(t, map[string]string{"RetryAttempts": "3", "RetryIntervalSeconds": "2"}))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeImages{batches: 4, failuresOf: map[float64]int{1: -1}, calls: map[float64]int{}, listErrors: 2}
	var rec recorder
	_, err = m.Run(context.Background(), map[string]any{}, Options{Tasks: f, OnEvent: rec.on, Sleep: rec.sleep, Context: execution})
	var e *Error
	if !errors.As(err, &e) || e.Name != "ImageBatchesFailed" || !strings.Contains(e.Cause, "thub image report") {
		t.Fatalf("run ended with %v, want ImageBatchesFailed", err)
	}
	if f.calls[1] != 4 {
		t.Errorf("the failing batch ran %d times, want 1 + 3 retries", f.calls[1])
	}
	for _, b := range []float64{0, 2, 3} {
		if f.calls[b] != 1 {
			t.Errorf("batch %v ran %d times, want once (the others finish)", b, f.calls[b])
		}
	}
	if rec.count("Caught", "CopyBatch") != 1 || rec.count("StateEntered", "BatchFailed") != 1 || rec.count("StateEntered", "BatchCopied") != 3 {
		t.Errorf("events: caught %d, failed %d, copied %d", rec.count("Caught", "CopyBatch"), rec.count("StateEntered", "BatchFailed"), rec.count("StateEntered", "BatchCopied"))
	}
	// The list Lambda's service errors: 5 s, then 10 s (back-off 2); the batch: 2, 4, 8 s.
	var lambdaWaits, batchWaits []time.Duration
	for _, ev := range rec.events {
		if ev.Type == "TaskRetry" && ev.State == "List" {
			lambdaWaits = append(lambdaWaits, ev.Wait)
		}
		if ev.Type == "TaskRetry" && ev.State == "CopyBatch" {
			batchWaits = append(batchWaits, ev.Wait)
		}
	}
	if fmt.Sprint(lambdaWaits) != "[5s 10s]" || fmt.Sprint(batchWaits) != "[2s 4s 8s]" {
		t.Errorf("retry waits: list %v, batch %v", lambdaWaits, batchWaits)
	}
}

func TestExecutionTimeout(t *testing.T) {
	m, err := Parse([]byte(`{"TimeoutSeconds": 0.05, "StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "slow", "End": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	slow := TasksFunc(func(ctx context.Context, _ string, _ any) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	_, err = m.Run(context.Background(), nil, Options{Tasks: slow})
	var e *Error
	if !errors.As(err, &e) || e.Name != "States.Timeout" {
		t.Fatalf("got %v, want States.Timeout", err)
	}
}

func TestParseRefusesWhatItCannotRun(t *testing.T) {
	for name, def := range map[string]string{
		"misspelt retrier field": `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"r","End":true,"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttemps":2}]}}}`,
		"unknown state field":    `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"ResultPth":"$.x"}}}`,
		"parallel":               `{"StartAt":"A","States":{"A":{"Type":"Parallel","End":true,"Branches":[]}}}`,
		"dangling next":          `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`,
		"distributed map":        `{"StartAt":"A","States":{"A":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"B","States":{"B":{"Type":"Succeed"}}}}}}`,
		"no end":                 `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`,
	} {
		if _, err := Parse([]byte(def)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestPathsAndTemplates(t *testing.T) {
	data := map[string]any{"a": map[string]any{"b": []any{"x", map[string]any{"c": 1.0}}}, "list": []any{"copied", "failed"}}
	ctx := map[string]any{"Map": map[string]any{"Item": map[string]any{"Value": "v"}}}
	tpl := map[string]any{
		"plain":     "keep",
		"deep.$":    "$.a.b[1].c",
		"quoted.$":  "$['a']['b'][0]",
		"item.$":    "$$.Map.Item.Value",
		"json.$":    "States.JsonToString($.a.b[1])",
		"has.$":     "States.ArrayContains($.list, 'failed')",
		"hasnt.$":   "States.ArrayContains($.list, 'lost')",
		"format.$":  "States.Format('{} of {}', $.a.b[0], 3)",
		"nested":    map[string]any{"n.$": "States.ArrayLength($.list)"},
		"roundtrip": map[string]any{"x.$": "States.StringToJson(States.JsonToString($.list))"},
	}
	out, err := applyTemplate(tpl, data, ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(out)
	want := `{"deep":1,"format":"x of 3","has":true,"hasnt":false,"item":"v","json":"{\"c\":1}","nested":{"n":2},"plain":"keep","quoted":"x","roundtrip":{"x":["copied","failed"]}}`
	if string(got) != want {
		t.Errorf("template:\n got %s\nwant %s", got, want)
	}
	if _, err := applyTemplate(map[string]any{"x.$": "$.missing"}, data, ctx); err == nil {
		t.Error("a path that matches nothing was accepted")
	}
	p, _ := parsePath("$.r.s")
	set, err := p.set(map[string]any{"keep": 1.0}, "v")
	if b, _ := json.Marshal(set); err != nil || string(b) != `{"keep":1,"r":{"s":"v"}}` {
		t.Errorf("ResultPath set: %s %v", b, err)
	}
}

func TestChoiceRules(t *testing.T) {
	def := `{"StartAt":"C","States":{
	  "C":{"Type":"Choice","Choices":[
	    {"And":[{"Variable":"$.n","NumericGreaterThan":2},{"Not":{"Variable":"$.s","StringEquals":"no"}}],"Next":"Big"},
	    {"Variable":"$.missing","IsPresent":true,"Next":"Big"},
	    {"Variable":"$.s","StringMatches":"y*s","Next":"Yes"}],"Default":"Other"},
	  "Big":{"Type":"Pass","Result":"big","End":true},
	  "Yes":{"Type":"Pass","Result":"yes","End":true},
	  "Other":{"Type":"Fail","Error":"Other","Cause":"no rule"}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{`{"n":3,"s":"ok"}`: "big", `{"n":3,"s":"no"}`: "Other", `{"n":1,"s":"yes"}`: "yes", `{"n":1,"s":"maybe"}`: "Other"} {
		var v any
		_ = json.Unmarshal([]byte(in), &v)
		out, err := m.Run(context.Background(), v, Options{})
		got := fmt.Sprint(out)
		var e *Error
		if errors.As(err, &e) {
			got = e.Name
		} else if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
