package harness

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"transferhub/cloud/deploy/harness/asl"
	"transferhub/cloud/internal/wait"
)

// Image tasks: the emulator records executions of the task's state machine (its own
// interpreter must be off); the harness interprets each one with package asl. Task
// states: lambda:invoke runs the function's code under aws-lambda-rie, ecs:runTask.sync
// calls RunTask (with the state machine's role) and waits for the Fargate task the
// harness runs. The outcome goes back to the emulator, so DescribeExecution tells what
// AWS would. StopExecution is honoured: the harness watches each execution it runs, and
// one the emulator has ABORTED has its states cancelled (its copiers stopped) and keeps
// that outcome.

// Execution is one state machine execution the harness ran.
type Execution struct {
	ARN    string
	Stack  string
	Status string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Output any
	Error  string
	Cause  string
	done   chan struct{}
	mu     sync.Mutex
	events []asl.Event
}

// Done is closed when the execution ended.
func (e *Execution) Done() <-chan struct{} { return e.done }

// Events are the execution's events (states entered, retries, catches).
func (e *Execution) Events() []asl.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]asl.Event(nil), e.events...)
}

// Executions lists the executions of a stack's state machine the harness ran.
func (h *Harness) Executions(stackName string) []*Execution {
	h.mu.Lock()
	defer h.mu.Unlock()
	return ofStack(h.execs, stackName, func(e *Execution) string { return e.Stack })
}

type imageTask struct {
	h  *Harness
	mu sync.Mutex
	d  *deployed
}

func (it *imageTask) setStack(d *deployed) {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.d = d
}

func (it *imageTask) stack() *deployed {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.d
}

func (it *imageTask) tick(ctx context.Context) {
	d := it.stack()
	for _, w := range d.stateMachines() {
		name, sm := w.logical, w.arn
		out, err := it.h.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), StatusFilter: sfntypes.ExecutionStatusRunning})
		if err != nil {
			if ctx.Err() == nil {
				it.h.log.Warn("list executions", "state machine", sm, "err", err)
			}
			continue
		}
		for _, e := range out.Executions {
			arn := aws.ToString(e.ExecutionArn)
			it.h.mu.Lock()
			_, seen := it.h.execs[arn]
			var ex *Execution
			if !seen {
				ex = &Execution{ARN: arn, Stack: d.name, Status: "RUNNING", done: make(chan struct{})}
				it.h.execs[arn] = ex
			}
			it.h.mu.Unlock()
			if !seen {
				it.h.wg.Add(1)
				go func() {
					defer it.h.wg.Done()
					it.run(ctx, name, sm, ex)
				}()
			}
		}
	}
}

func (it *imageTask) run(ctx context.Context, logical, sm string, ex *Execution) {
	defer close(ex.done)
	h := it.h
	ectx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		it.watch(ectx, ex.ARN, stop)
	}()
	out, err := it.execute(ectx, logical, sm, ex)
	var ended *endedElsewhere
	if errors.As(context.Cause(ectx), &ended) {
		// Stopped (StopExecution): the emulator has the outcome; its running states were
		// cancelled (the copiers stopped), and nothing they return counts.
		ex.Status, ex.Error, ex.Cause = ended.status, ended.error, ended.cause
		h.log.Info("execution stopped", "stack", it.stack().name, "execution", ex.ARN, "status", ex.Status)
		return
	}
	var ae *asl.Error
	switch {
	case err == nil:
		ex.Status, ex.Output = "SUCCEEDED", out
	case errors.As(err, &ae) && ae.Name == "States.Timeout" && ctx.Err() == nil:
		ex.Status, ex.Error, ex.Cause = "TIMED_OUT", ae.Name, ae.Cause
	case errors.As(err, &ae):
		ex.Status, ex.Error, ex.Cause = "FAILED", ae.Name, ae.Cause
	default:
		ex.Status, ex.Error, ex.Cause = "FAILED", "States.Runtime", err.Error()
	}
	if ctx.Err() != nil && ex.Status != "SUCCEEDED" {
		ex.Status, ex.Error, ex.Cause = "ABORTED", "", "the harness stopped"
	}
	h.log.Info("execution ended", "stack", it.stack().name, "execution", ex.ARN, "status", ex.Status, "error", ex.Error)
	body := map[string]any{"executionArn": ex.ARN, "status": ex.Status}
	if ex.Status == "SUCCEEDED" {
		body["output"] = jsonString(out)
	} else {
		body["error"], body["cause"] = ex.Error, ex.Cause
	}
	err = h.endExecution(context.WithoutCancel(ctx), body)
	if errors.Is(err, errEnded) {
		// Stopped after the last look and before this end: the stop stands, as on AWS.
		if e, derr := h.sfn.DescribeExecution(context.WithoutCancel(ctx), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(ex.ARN)}); derr == nil {
			ex.Status, ex.Error, ex.Cause, ex.Output = string(e.Status), aws.ToString(e.Error), aws.ToString(e.Cause), nil
		}
		h.log.Info("execution stopped as it ended", "stack", it.stack().name, "execution", ex.ARN, "status", ex.Status)
		return
	}
	if err != nil {
		h.log.Warn("record the execution's outcome in the emulator", "execution", ex.ARN, "err", err)
	}
}

// endedElsewhere: the emulator says the execution is over while the harness runs it
// (StopExecution made it ABORTED).
type endedElsewhere struct{ status, error, cause string }

func (e *endedElsewhere) Error() string {
	return "the execution ended outside the harness: " + e.status
}

// watch ends the execution's context when the emulator no longer has it RUNNING: a
// StopExecution, after which Step Functions stops the states under way (an ECS task
// is stopped; a Lambda's result is discarded) and runs no further state. It returns
// when ctx ends (stop ends it).
func (it *imageTask) watch(ctx context.Context, arn string, stop context.CancelCauseFunc) {
	wait.Every(ctx, min(it.h.cfg.Tick, time.Second), func(ctx context.Context) {
		e, err := it.h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			if ctx.Err() == nil {
				it.h.log.Warn("describe execution", "execution", arn, "err", err)
			}
			return
		}
		if e.Status != sfntypes.ExecutionStatusRunning {
			stop(&endedElsewhere{status: string(e.Status), error: aws.ToString(e.Error), cause: aws.ToString(e.Cause)})
		}
	})
}

// errEnded: the emulator refused an outcome for an execution that had ended already.
var errEnded = errors.New("the execution has ended already")

// endExecution records an execution's outcome in the emulator (build/testenv/moto_server.py).
func (h *Harness) endExecution(ctx context.Context, body map[string]any) error {
	resp, b, err := send(ctx, http.MethodPost, h.emulatorURL("/_thub/stepfunctions/execution"), strings.NewReader(jsonString(body)))
	switch {
	case resp == nil:
		return err
	case resp.StatusCode == http.StatusConflict:
		return errEnded
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	return nil
}

func (it *imageTask) execute(ctx context.Context, logical, sm string, ex *Execution) (any, error) {
	h := it.h
	d, err := h.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		return nil, fmt.Errorf("describe state machine %s: %w", sm, err)
	}
	def := aws.ToString(d.Definition)
	if def == "" {
		return nil, fmt.Errorf("state machine %s has no definition in the emulator", sm)
	}
	m, err := asl.Parse([]byte(def))
	if err != nil {
		return nil, &asl.Error{Name: "States.Runtime", Cause: err.Error()}
	}
	de, err := h.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(ex.ARN)})
	if err != nil {
		return nil, fmt.Errorf("describe execution %s: %w", ex.ARN, err)
	}
	var input any
	if s := aws.ToString(de.Input); s != "" {
		if err := json.Unmarshal([]byte(s), &input); err != nil {
			return nil, &asl.Error{Name: "States.Runtime", Cause: "the execution's input is not JSON"}
		}
	}
	role := aws.ToString(d.RoleArn)
	tasks := asl.TasksFunc(func(ctx context.Context, resource string, params any) (any, error) {
		switch {
		case strings.HasSuffix(resource, ":states:::lambda:invoke"):
			return it.invoke(ctx, asMap(params))
		case strings.HasSuffix(resource, ":states:::ecs:runTask.sync"):
			return it.runTaskSync(ctx, role, asMap(params))
		}
		return nil, &asl.Error{Name: "States.Runtime", Cause: "the harness does not run resource " + resource}
	})
	ctxObj := map[string]any{
		"Execution":    map[string]any{"Id": ex.ARN, "Name": lastColon(ex.ARN), "Input": input, "RoleArn": role, "StartTime": time.Now().UTC().Format(time.RFC3339)},
		"StateMachine": map[string]any{"Id": sm, "Name": lastColon(sm)},
	}
	return m.Run(ctx, input, asl.Options{Tasks: tasks, Context: ctxObj, OnEvent: func(e asl.Event) {
		ex.mu.Lock()
		ex.events = append(ex.events, e)
		ex.mu.Unlock()
		if e.Type == "TaskRetry" || e.Type == "Caught" {
			h.log.Info("state machine", "stack", it.stack().name, "event", e.Type, "state", e.State, "attempt", e.Attempt, "error", e.Err)
		}
	}})
}

func lastColon(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// --- ecs:runTask.sync ----------------------------------------------------------------------

func (it *imageTask) runTaskSync(ctx context.Context, role string, p map[string]any) (any, error) {
	h := it.h
	in := &ecs.RunTaskInput{Cluster: aws.String(str(p["Cluster"])), TaskDefinition: aws.String(str(p["TaskDefinition"])), Count: aws.Int32(1)}
	if lt := str(p["LaunchType"]); lt != "" {
		in.LaunchType = ecstypes.LaunchType(lt)
	}
	if nc := asMap(asMap(p["NetworkConfiguration"])["AwsvpcConfiguration"]); nc != nil {
		in.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: asStrings(nc["Subnets"]), SecurityGroups: asStrings(nc["SecurityGroups"]), AssignPublicIp: ecstypes.AssignPublicIp(str(nc["AssignPublicIp"]))}}
	}
	if ov := asMap(p["Overrides"]); ov != nil {
		in.Overrides = &ecstypes.TaskOverride{}
		for _, c := range asList(ov["ContainerOverrides"]) {
			cm := asMap(c)
			co := ecstypes.ContainerOverride{Name: aws.String(str(cm["Name"])), Command: asStrings(cm["Command"])}
			if len(co.Command) == 0 {
				co.Command = nil
			}
			for _, e := range asList(cm["Environment"]) {
				em := asMap(e)
				co.Environment = append(co.Environment, ecstypes.KeyValuePair{Name: aws.String(str(em["Name"])), Value: aws.String(str(em["Value"]))})
			}
			in.Overrides.ContainerOverrides = append(in.Overrides.ContainerOverrides, co)
		}
	}
	client := ecs.NewFromConfig(h.roleConfig(role))
	out, err := client.RunTask(ctx, in)
	if err != nil {
		return nil, &asl.Error{Name: "ECS.AmazonECSException", Cause: err.Error()}
	}
	if len(out.Tasks) != 1 {
		return nil, &asl.Error{Name: "ECS.AmazonECSException", Cause: fmt.Sprintf("RunTask started %d tasks (failures %s)", len(out.Tasks), jsonString(out.Failures))}
	}
	arn := aws.ToString(out.Tasks[0].TaskArn)
	t := h.claimTask(arn, aws.ToString(in.Cluster))
	if t != nil {
		go h.runECSTask(h.ctx, aws.ToString(in.Cluster), t)
	} else {
		t = h.Task(arn)
	}
	select {
	case <-t.Done():
	case <-ctx.Done():
		// A timed-out state or a stopped execution stops its task (ecs:StopTask), as
		// Step Functions does.
		t.requestStop()
		<-t.Done()
		return nil, ctx.Err()
	}
	result := map[string]any{"TaskArn": arn, "LastStatus": "STOPPED", "StopCode": "EssentialContainerExited",
		"Containers": []any{map[string]any{"Name": t.Kind, "ExitCode": float64(t.exit)}}}
	if t.Err != nil {
		result["StopCode"], result["StoppedReason"] = "TaskFailedToStart", t.Err.Error()
		return nil, &asl.Error{Name: "States.TaskFailed", Cause: jsonString(result)}
	}
	if t.exit != 0 {
		result["StoppedReason"] = fmt.Sprintf("Essential container in task exited (exit code %d)", t.exit)
		return nil, &asl.Error{Name: "States.TaskFailed", Cause: jsonString(result)}
	}
	return result, nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// --- lambda:invoke under aws-lambda-rie ----------------------------------------------------

type rieFunction struct {
	mu     sync.Mutex
	proc   *Process
	invoke string
}

// invoke runs the function with the payload, as the Lambda integration does: the
// function's code (the zip its template names, checked against the emulator's
// CodeSha256), its handler and environment, its role's credentials.
func (it *imageTask) invoke(ctx context.Context, p map[string]any) (any, error) {
	h := it.h
	fn := str(p["FunctionName"])
	f, err := it.function(ctx, fn)
	if err != nil {
		return nil, &asl.Error{Name: "Lambda.ServiceException", Cause: err.Error()}
	}
	payload := "{}"
	if v, ok := p["Payload"]; ok {
		payload = jsonString(v)
	}
	type answer struct {
		body []byte
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		f.mu.Lock() // one sandbox: one invocation at a time
		defer f.mu.Unlock()
		if ctx.Err() != nil {
			answered <- answer{err: ctx.Err()}
			return
		}
		// An invocation runs to its end (at most Lambda's 15 minutes) even when its state
		// is cancelled, as on AWS: the sandbox is free again only then.
		ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Minute)
		defer cancel()
		body, err := f.call(ictx, payload)
		answered <- answer{body, err}
	}()
	var a answer
	select {
	case a = <-answered:
	case <-ctx.Done():
		// A stopped execution or a state's timeout: the result is discarded.
		return nil, ctx.Err()
	}
	if a.err != nil {
		return nil, &asl.Error{Name: "Lambda.ServiceException", Cause: a.err.Error()}
	}
	body := a.body
	var out any
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, &asl.Error{Name: "Lambda.Unknown", Cause: fmt.Sprintf("the function answered %d bytes that are not JSON", len(body))}
	}
	// The emulator answers 200 when the handler failed; the body says so.
	if m := asMap(out); m != nil && m["errorMessage"] != nil {
		name := str(m["errorType"])
		if name == "" {
			name = "Error"
		}
		return nil, &asl.Error{Name: name, Cause: string(body)}
	}
	h.log.Info("lambda invoked", "stack", it.stack().name, "function", fn)
	return map[string]any{"ExecutedVersion": "$LATEST", "StatusCode": 200.0, "Payload": out}, nil
}

// call posts one invocation to the sandbox and returns the function's answer.
func (f *rieFunction) call(ctx context.Context, payload string) ([]byte, error) {
	_, b, err := send(ctx, http.MethodPost, f.invoke, strings.NewReader(payload))
	return b, err
}

// function starts (once) the sandbox of one of the stack's functions.
func (it *imageTask) function(ctx context.Context, nameOrARN string) (*rieFunction, error) {
	h := it.h
	h.mu.Lock()
	if f, ok := h.lambdas[nameOrARN]; ok {
		h.mu.Unlock()
		return f, nil
	}
	h.mu.Unlock()
	if h.cfg.RIE == "" {
		return nil, errors.New("no aws-lambda-rie (Config.RIE)")
	}
	// By name: the emulator's signature check under IAM enforcement trips over an ARN
	// in the request path.
	byName := nameOrARN
	if _, rest, ok := strings.Cut(nameOrARN, ":function:"); ok {
		byName, _, _ = strings.Cut(rest, ":")
	}
	gf, err := h.lam.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(byName)})
	if err != nil {
		return nil, fmt.Errorf("get function %s: %w", nameOrARN, err)
	}
	c := gf.Configuration
	name := aws.ToString(c.FunctionName)
	var logical string
	for _, l := range it.stack().ofType("AWS::Lambda::Function") {
		if it.stack().physical[l] == name {
			logical = l
		}
	}
	if logical == "" {
		return nil, fmt.Errorf("function %s is not stack %s's", name, it.stack().name)
	}
	bucket, err := it.stack().propString(logical, "Code", "S3Bucket")
	if err != nil {
		return nil, err
	}
	key, err := it.stack().propString(logical, "Code", "S3Key")
	if err != nil {
		return nil, err
	}
	obj, err := h.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("the code of %s, s3://%s/%s: %w", name, bucket, key, err)
	}
	zb, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zb)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != aws.ToString(c.CodeSha256) {
		return nil, fmt.Errorf("the code of %s at s3://%s/%s (SHA-256 %s) is not the function's (%s)", name, bucket, key, hex.EncodeToString(sum[:]), aws.ToString(c.CodeSha256))
	}
	dir := filepath.Join(h.cfg.Dir, "lambda", name)
	boot, err := unzipBootstrap(zb, dir)
	if err != nil {
		return nil, fmt.Errorf("the code of %s: %w", name, err)
	}
	if err := checkELF(boot); err != nil {
		// The Lambda runs on Graviton; on another machine the same build for this one
		// stands in, taken from the task's agent image and checked to be that build.
		if boot, err = it.standIn(ctx, boot, dir); err != nil {
			return nil, fmt.Errorf("the code of %s: %w", name, err)
		}
	}
	role := aws.ToString(c.Role)
	creds, err := h.roleProvider(role).Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("the role of %s: %w", name, err)
	}
	env := h.baseEnv(dir)
	if c.Environment != nil {
		for k, v := range c.Environment.Variables {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, "_HANDLER="+aws.ToString(c.Handler), "AWS_LAMBDA_FUNCTION_NAME="+name, "AWS_REGION="+it.stack().region, "AWS_DEFAULT_REGION="+it.stack().region,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(int(aws.ToInt32(c.MemorySize))),
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey, "AWS_SESSION_TOKEN="+creds.SessionToken)
	invokeAddr, apiAddr := freeAddr(), freeAddr()
	if invokeAddr == "" || apiAddr == "" {
		return nil, errors.New("no free port for aws-lambda-rie")
	}
	group := "/aws/lambda/" + name
	stream := time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16)
	proc, err := h.start(procSpec{kind: "lambda", stack: it.stack().name, name: name, path: h.cfg.RIE,
		args: []string{"--runtime-interface-emulator-address", invokeAddr, "--runtime-api-address", apiAddr, boot},
		env:  env, home: dir, logGroup: group, logStream: stream, logCreds: h.roleProvider(role)})
	if err != nil {
		return nil, err
	}
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", invokeAddr); err == nil {
			c.Close()
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	f := &rieFunction{proc: proc, invoke: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations"}
	h.mu.Lock()
	if old, ok := h.lambdas[nameOrARN]; ok { // raced: keep the first
		h.mu.Unlock()
		proc.Stop(5 * time.Second)
		return old, nil
	}
	h.lambdas[nameOrARN] = f
	h.mu.Unlock()
	return f, nil
}

// standIn is this machine's agent from the stack's agent image, when its build is the
// Lambda bootstrap's.
func (it *imageTask) standIn(ctx context.Context, boot, dir string) (string, error) {
	image := it.stack().params["AgentImage"]
	img, err := it.h.agentFromImage(ctx, image, it.h.cfg.AWS.Credentials)
	if err != nil {
		return "", err
	}
	if len(img.entrypoint) == 0 {
		return "", fmt.Errorf("the agent image %s has no entrypoint", image)
	}
	a, err := buildinfo.ReadFile(boot)
	if err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	b, err := buildinfo.ReadFile(img.entrypoint[0])
	if err != nil {
		return "", fmt.Errorf("the image's agent: %w", err)
	}
	if sameBuild(a) != sameBuild(b) {
		return "", fmt.Errorf("bootstrap (%s) and the agent image (%s) are different builds", sameBuild(a), sameBuild(b))
	}
	data, err := os.ReadFile(img.entrypoint[0])
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "native", "bootstrap")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, data, 0o755)
}

// sameBuild: module, version and the build settings that make it this source and these
// flags (not the architecture).
func sameBuild(bi *buildinfo.BuildInfo) string {
	s := bi.Main.Path + "@" + bi.Main.Version
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "-ldflags", "-tags", "vcs.revision", "vcs.modified", "-trimpath":
			s += " " + kv.Key + "=" + kv.Value
		}
	}
	return s
}

func unzipBootstrap(zb []byte, dir string) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		return "", fmt.Errorf("not a zip: %w", err)
	}
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		if f.Mode()&0o111 == 0 {
			return "", errors.New("bootstrap is not executable (a custom runtime needs mode 0755)")
		}
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		p := filepath.Join(dir, "bootstrap")
		return p, os.WriteFile(p, b, 0o755)
	}
	return "", errors.New("no bootstrap at the zip's root (provided.al2023 runs ./bootstrap)")
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return l.Addr().String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// watchedMachine is a state machine the harness plays: its logical id and its ARN.
type watchedMachine struct{ logical, arn string }

// stateMachines lists the stack's state machines by their physical ids and, where the
// stack's outputs name another state machine ARN, that one too, under the first
// machine's logical id: the emulator has been seen to create a template's state machine
// twice, its outputs naming one and its resources the other, and the app starts runs
// on the one the outputs name.
func (d *deployed) stateMachines() []watchedMachine {
	names := d.ofType("AWS::StepFunctions::StateMachine")
	if len(names) == 0 {
		return nil
	}
	var out []watchedMachine
	seen := map[string]bool{}
	for _, n := range names {
		out = append(out, watchedMachine{n, d.physical[n]})
		seen[d.physical[n]] = true
	}
	for _, k := range slices.Sorted(maps.Keys(d.outputs)) {
		v := d.outputs[k]
		if strings.Contains(v, ":states:") && strings.Contains(v, ":stateMachine:") && !seen[v] {
			out = append(out, watchedMachine{names[0], v})
			seen[v] = true
		}
	}
	return out
}
