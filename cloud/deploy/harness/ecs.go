package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"transferhub/cloud/stack"
)

// Fargate: every task that RunTask records in a played stack's cluster (the app's "run
// now", a schedule, the state machine's ecs:runTask.sync) runs here. Its container's
// command and environment come from the emulator's task definition and the task's
// overrides; the agent from the task's image; the task role and CPU from the template
// (the emulator drops them), and so is the whole container when a stack update left
// the emulator's re-registered task definition without it. When the process exits the
// task is stopped in the emulator with the exit status in its reason.

// ECSTask is a Fargate task the harness ran.
type ECSTask struct {
	ARN   string
	Stack string
	Kind  string // the container's name: finder, copier
	Proc  *Process
	// Err: the task could not start (as ECS's "CannotPullContainerError", a bad task
	// definition ...).
	Err  error
	done chan struct{}
	exit int
	// stopping is closed when the task is to stop (requestStop): its process, started
	// or about to start, gets SIGTERM, as ECS StopTask does.
	stopping chan struct{}
	cluster  string
	stopOnce sync.Once
}

// requestStop stops the task as StopTask would: SIGTERM, then a kill after the grace.
func (t *ECSTask) requestStop() { t.stopOnce.Do(func() { close(t.stopping) }) }

// Done is closed when the task stopped.
func (t *ECSTask) Done() <-chan struct{} { return t.done }

// ExitCode is the essential container's exit status (-1 when it never started).
func (t *ECSTask) ExitCode() int {
	<-t.done
	return t.exit
}

type ecsTask = ECSTask

// stopGrace is how long a stopped task's process has between SIGTERM and SIGKILL (ECS's
// default stopTimeout is 30 s).
const stopGrace = 30 * time.Second

// ensureECSLoop watches the stack's cluster for tasks to run.
func (h *Harness) ensureECSLoop(d *deployed) {
	cluster := d.params["ClusterArn"]
	if cluster == "" {
		return
	}
	h.mu.Lock()
	if h.clusters == nil {
		h.clusters = map[string]bool{}
	}
	seen := h.clusters[cluster]
	h.clusters[cluster] = true
	h.mu.Unlock()
	if seen {
		return
	}
	h.loop(h.ctx, func(ctx context.Context) { h.pollCluster(ctx, cluster) })
}

// pollCluster runs the tasks the cluster wants running that the harness has not run
// yet, and stops the ones it runs that the cluster no longer wants running: a task
// stopped with StopTask (the app's stop) gets SIGTERM as ECS gives it, or never starts
// when it had not started yet. Without this a finder stopped by the app went on and
// could begin a run after the app resumed the task: a run nobody asked for.
func (h *Harness) pollCluster(ctx context.Context, cluster string) {
	// Only tasks claimed before the listing: one claimed meanwhile (RunTask by the
	// harness's state machines and schedules) may be missing from it.
	claimed := h.clusterTasks(cluster)
	running := map[string]bool{}
	p := ecs.NewListTasksPaginator(h.ecs, &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: ecstypes.DesiredStatusRunning})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("list the cluster's tasks", "cluster", cluster, "err", err)
			}
			return
		}
		for _, arn := range page.TaskArns {
			running[arn] = true
			if t := h.claimTask(arn, cluster); t != nil {
				go h.runECSTask(ctx, cluster, t)
			}
		}
	}
	for _, t := range claimed {
		if !running[t.ARN] {
			t.requestStop()
		}
	}
}

// claimTask marks a task of cluster as the harness's to run; nil when it was claimed
// before.
func (h *Harness) claimTask(arn, cluster string) *ECSTask {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.tasks[arn]; ok {
		return nil
	}
	t := &ECSTask{ARN: arn, cluster: cluster, done: make(chan struct{}), exit: -1, stopping: make(chan struct{})}
	h.tasks[arn] = t
	return t
}

// clusterTasks lists the tasks of cluster the harness runs or is about to run.
func (h *Harness) clusterTasks(cluster string) []*ECSTask {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*ECSTask
	for _, t := range h.tasks {
		if t.cluster != cluster {
			continue
		}
		select {
		case <-t.done:
		default:
			out = append(out, t)
		}
	}
	return out
}

// Task returns a task the harness ran or runs (nil: not seen).
func (h *Harness) Task(arn string) *ECSTask {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tasks[arn]
}

// Tasks lists the Fargate tasks of a stack.
func (h *Harness) Tasks(stackName string) []*ECSTask {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := ofStack(h.tasks, stackName, func(t *ECSTask) string { return t.Stack })
	slices.SortFunc(out, func(a, b *ECSTask) int { return strings.Compare(a.ARN, b.ARN) })
	return out
}

// ofStack picks the values of m (tasks, executions) that belong to stackName; the
// caller holds h.mu.
func ofStack[T any](m map[string]*T, stackName string, stackOf func(*T) string) []*T {
	var out []*T
	for _, v := range m {
		if stackOf(v) == stackName {
			out = append(out, v)
		}
	}
	return out
}

func (h *Harness) runECSTask(ctx context.Context, cluster string, t *ECSTask) {
	defer close(t.done)
	if !h.startECSTask(ctx, cluster, t) {
		return
	}
	var reason string
	if t.Err != nil {
		reason = "CannotStartContainerError: " + t.Err.Error()
		h.problem(fmt.Errorf("stack %s: ECS task %s: %w", t.Stack, t.ARN, t.Err))
	} else {
		t.exit = t.Proc.ExitCode()
		reason = fmt.Sprintf("Essential container in task exited (%s exit code %d)", t.Kind, t.exit)
	}
	// The task stops in the emulator too (outliving the harness's context: a stopping
	// harness still leaves the emulator truthful).
	if _, err := h.ecs.StopTask(context.WithoutCancel(ctx), &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(t.ARN), Reason: aws.String(reason)}); err != nil {
		h.log.Warn("stop the ECS task in the emulator", "task", t.ARN, "err", err)
	}
}

// startECSTask starts the task's process and waits for it; ours is false for tasks of
// stacks the harness does not play.
func (h *Harness) startECSTask(ctx context.Context, cluster string, t *ECSTask) bool {
	dt, err := h.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{t.ARN}})
	if err != nil || len(dt.Tasks) != 1 {
		h.log.Warn("describe the ECS task", "task", t.ARN, "err", err)
		return false
	}
	task := dt.Tasks[0]
	tdARN := aws.ToString(task.TaskDefinitionArn)
	d, logical := h.taskDefinitionOwner(tdARN)
	if d == nil {
		return false
	}
	t.Stack = d.name
	if task.DesiredStatus != nil && *task.DesiredStatus == string(ecstypes.DesiredStatusStopped) {
		return false // stopped before it started (StopTask): it never runs
	}
	t.Proc, t.Kind, t.Err = h.startContainer(ctx, d, logical, tdARN, task)
	if t.Err == nil {
		select {
		case <-t.Proc.Done():
		case <-t.stopping:
			t.Proc.Stop(stopGrace)
		}
	}
	return true
}

// taskDefinitionOwner finds the played stack whose task definition this is.
func (h *Harness) taskDefinitionOwner(arn string) (*deployed, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.stacks {
		for _, name := range p.d.ofType("AWS::ECS::TaskDefinition") {
			if p.d.physical[name] == arn {
				return p.d, name
			}
		}
	}
	return nil, ""
}

func (h *Harness) startContainer(ctx context.Context, d *deployed, logical, tdARN string, task ecstypes.Task) (*Process, string, error) {
	td, err := h.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(tdARN)})
	if err != nil {
		return nil, "", fmt.Errorf("describe task definition %s: %w", tdARN, err)
	}
	var ctr *ecstypes.ContainerDefinition
	for i, c := range td.TaskDefinition.ContainerDefinitions {
		if c.Essential == nil || aws.ToBool(c.Essential) {
			ctr = &td.TaskDefinition.ContainerDefinitions[i]
			break
		}
	}
	if ctr == nil || len(td.TaskDefinition.ContainerDefinitions) != 1 {
		return nil, "", fmt.Errorf("task definition %s: the harness runs tasks of one essential container", tdARN)
	}
	if aws.ToString(ctr.Image) == "" {
		// The emulator re-registers a task definition that a stack update changes with
		// its container emptied (no name, image, command, environment or log
		// configuration): the deployed template has it, with the stack's current values.
		// A template whose container lacks its image is still an error.
		if ctr, err = d.container(logical); err != nil {
			return nil, "", fmt.Errorf("task definition %s: %w", tdARN, err)
		}
	}
	name := aws.ToString(ctr.Name)
	// What the emulator drops, from the template.
	cpuS, err := d.propString(logical, "Cpu")
	if err != nil {
		return nil, name, err
	}
	memS, err := d.propString(logical, "Memory")
	if err != nil {
		return nil, name, err
	}
	cpu, _ := strconv.Atoi(cpuS)
	mem, _ := strconv.Atoi(memS)
	if !(stack.FargateSize{CPU: cpu, MemoryMiB: mem}).Valid() {
		return nil, name, fmt.Errorf("task definition %s: Fargate has no %s CPU units with %s MiB", tdARN, cpuS, memS)
	}
	taskRole, err := d.propString(logical, "TaskRoleArn")
	if err != nil {
		return nil, name, err
	}
	execRole, err := d.propString(logical, "ExecutionRoleArn")
	if err != nil {
		return nil, name, err
	}
	if h.cfg.Roles && (taskRole == "" || execRole == "") {
		return nil, name, fmt.Errorf("task definition %s has no task role or no execution role", tdARN)
	}
	execCreds := h.roleProvider(execRole)
	img, err := h.agentFromImage(ctx, aws.ToString(ctr.Image), execCreds)
	if err != nil {
		return nil, name, fmt.Errorf("CannotPullContainerError: %w", err)
	}
	// The command: the container's entrypoint (else the image's) and command, as
	// overridden by RunTask.
	argv := ctr.EntryPoint
	if len(argv) == 0 && len(img.entrypoint) > 0 {
		argv = []string{strings.TrimPrefix(img.entrypoint[0], img.root)}
	}
	cmd := ctr.Command
	env := map[string]string{}
	for _, kv := range img.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, kv := range ctr.Environment {
		env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if task.Overrides != nil {
		for _, o := range task.Overrides.ContainerOverrides {
			if aws.ToString(o.Name) != name {
				continue
			}
			if len(o.Command) > 0 {
				cmd = o.Command
			}
			for _, kv := range o.Environment {
				env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
			}
		}
	}
	if len(argv) == 0 {
		return nil, name, fmt.Errorf("task definition %s: no entrypoint", tdARN)
	}
	bin := under(img.root, argv[0])
	if err := checkELF(bin); err != nil {
		return nil, name, fmt.Errorf("CannotStartContainerError: the entrypoint %s is not in the image: %w", argv[0], err)
	}
	taskID := lastPart(aws.ToString(task.TaskArn))
	// Fargate's own variables; the CPU the task has.
	env["AWS_REGION"], env["AWS_DEFAULT_REGION"] = d.region, d.region
	env["AWS_EXECUTION_ENV"] = "AWS_ECS_FARGATE"
	env["GOMAXPROCS"] = strconv.Itoa(max(1, cpu/1024))
	home := filepath.Join(h.cfg.Dir, "tasks", taskID)
	base, err := h.procEnv(home, taskRole)
	if err != nil {
		return nil, name, err
	}
	all := append(base, envLines(env)...)
	var group, stream string
	if lc := ctr.LogConfiguration; lc != nil {
		if lc.LogDriver != ecstypes.LogDriverAwslogs {
			return nil, name, fmt.Errorf("task definition %s: log driver %s (the harness ships awslogs)", tdARN, lc.LogDriver)
		}
		group = lc.Options["awslogs-group"]
		stream = lc.Options["awslogs-stream-prefix"] + "/" + name + "/" + taskID
	}
	p, err := h.start(procSpec{kind: name, stack: d.name, name: taskID, path: bin, args: append(append([]string{}, argv[1:]...), cmd...),
		env: all, home: home, logGroup: group, logStream: stream, logCreds: execCreds})
	return p, name, err
}

// lastPart is the last part of an ARN (a task's id).
func lastPart(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// container is a task definition's one container as the deployed template defines it
// (intrinsic functions resolved with the stack's current parameters).
func (d *deployed) container(logical string) (*ecstypes.ContainerDefinition, error) {
	v, err := d.prop(logical, "ContainerDefinitions")
	if err != nil {
		return nil, err
	}
	defs, _ := v.([]any)
	if len(defs) != 1 {
		return nil, fmt.Errorf("the template's task definition %s has %d containers, the harness runs one", logical, len(defs))
	}
	// CloudFormation's property names are the API's fields (JSON matches them whatever
	// their case).
	raw, err := json.Marshal(defs[0])
	if err != nil {
		return nil, fmt.Errorf("the template's task definition %s: %w", logical, err)
	}
	var c ecstypes.ContainerDefinition
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("the template's task definition %s: its container: %w", logical, err)
	}
	switch {
	case aws.ToString(c.Name) == "":
		return nil, fmt.Errorf("the template's task definition %s: its container has no name", logical)
	case aws.ToString(c.Image) == "":
		return nil, fmt.Errorf("the template's task definition %s: its container has no image", logical)
	}
	return &c, nil
}
