// Package harness plays AWS's compute for Transfer Hub's stacks deployed into the AWS
// emulator, which creates resources but runs nothing. It reads what the emulator holds
// (the deployed template, parameters, resources, launch template user data, ECS task
// definitions, Lambda functions, state machines) and runs the agent the way AWS would:
//
//   - EC2 workers: the launch template's user data contract (its environment file and
//     the systemd unit's ExecStart) with the agent for this machine fetched from the
//     assets bucket and checked against its SHA-256, one process per instance of the
//     Auto Scaling group; the group's scaling policies and alarms (which the emulator
//     drops) read from the template and evaluated on the queue's backlog.
//   - Fargate tasks (finder, copiers): every task RunTask records in the control
//     plane's cluster runs its task definition's command and environment, with the
//     agent taken from the task's image; what the emulator drops (task role, CPU) comes
//     from the template.
//   - After a stack update, what the emulator leaves stale comes from the deployed
//     template too: a re-registered task definition's emptied container, the launch
//     template version the group launches and that version's user data.
//   - Schedules fire when the caller says time has come (Fire).
//   - State machines: executions the emulator records are interpreted (package asl):
//     lambda:invoke under aws-lambda-rie, ecs:runTask.sync through RunTask.
//   - Logs: every process's output goes to the CloudWatch Logs group and stream the
//     stack names, as the CloudWatch agent, awslogs and Lambda would.
//
// Processes reach the emulator only through the SDK's standard settings
// (AWS_ENDPOINT_URL, AWS_REGION, credentials from the environment or a container
// credentials endpoint). With Config.Roles each process runs with its stack role's
// credentials (AssumeRole), as on AWS. What a harness reads: cloud/docs/deploy.md.
package harness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"transferhub/cloud/internal/wait"
)

// Config is how the harness reaches the emulator and runs processes.
type Config struct {
	// AWS reaches the emulator (BaseEndpoint) as an identity that may do everything the
	// harness does for AWS: read stacks, assume the stacks' roles (Roles), ship logs
	// when no role is asked for.
	AWS aws.Config
	// Endpoint is handed to the processes as AWS_ENDPOINT_URL (default: AWS's
	// BaseEndpoint).
	Endpoint string
	// Dir keeps the agents, the processes' homes and a copy of every process's output
	// (default: a temporary directory, removed by Close).
	Dir string
	// RIE is the aws-lambda-rie binary (the list Lambda of image tasks).
	RIE string
	// Roles: each process runs with its stack role's credentials (AssumeRole, served as
	// ECS's container credentials or, for the Lambda, in its environment); the trust
	// policies must let AWS's identity assume them. Without Roles every process gets
	// AWS's credentials.
	Roles bool
	// InsecureRegistries are registry hosts reached over plain HTTP (a local registry
	// standing in for the control plane's ECR repository).
	InsecureRegistries []string
	// Tick is how long one alarm period of the scaling alarms (a CloudWatch minute)
	// lasts here (default 2s).
	Tick time.Duration
	// Env is added to every process's environment.
	Env []string
	Log *slog.Logger
}

// Harness plays the compute of the stacks it was told about (Play).
type Harness struct {
	cfg     Config
	log     *slog.Logger
	account string
	ownDir  bool

	cf   *cloudformation.Client
	s3   *s3.Client
	sqs  *sqs.Client
	asg  *autoscaling.Client
	ec2  *ec2.Client
	ecs  *ecs.Client
	lam  *lambda.Client
	sfn  *sfn.Client
	logs *cloudwatchlogs.Client
	sts  *sts.Client

	creds *credsServer

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	fetchMu   sync.Mutex // agents are fetched one at a time
	mu        sync.Mutex
	stacks    map[string]*played
	procs     []*Process
	problems  []error
	agents    map[string]string // cache: s3://bucket/key -> local path
	images    map[string]*imageAgent
	tasks     map[string]*ecsTask
	lambdas   map[string]*rieFunction
	execs     map[string]*Execution
	roleCreds map[string]aws.CredentialsProvider
	clusters  map[string]bool
	procN     int
}

// played is one stack the harness plays.
type played struct {
	d       *deployed
	s3      *s3Task
	imgs    *imageTask
	updated time.Time // the stack's LastUpdatedTime when it was read
	cancel  context.CancelFunc
}

// New starts a harness (its credentials endpoint); Close stops it and everything it runs.
func New(ctx context.Context, cfg Config) (*Harness, error) {
	if cfg.AWS.BaseEndpoint == nil && cfg.Endpoint == "" {
		return nil, errors.New("harness: the emulator's endpoint is missing (Config.AWS.BaseEndpoint)")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = aws.ToString(cfg.AWS.BaseEndpoint)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	h := &Harness{cfg: cfg, log: cfg.Log, stacks: map[string]*played{}, agents: map[string]string{}, images: map[string]*imageAgent{}, tasks: map[string]*ecsTask{},
		lambdas: map[string]*rieFunction{}, execs: map[string]*Execution{}, roleCreds: map[string]aws.CredentialsProvider{}}
	if h.cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "thub-harness-")
		if err != nil {
			return nil, err
		}
		h.cfg.Dir, h.ownDir = dir, true
	}
	c := cfg.AWS
	h.cf = cloudformation.NewFromConfig(c)
	h.s3 = s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = true })
	h.sqs = sqs.NewFromConfig(c)
	h.asg = autoscaling.NewFromConfig(c)
	h.ec2 = ec2.NewFromConfig(c)
	h.ecs = ecs.NewFromConfig(c)
	h.lam = lambda.NewFromConfig(c)
	h.sfn = sfn.NewFromConfig(c)
	h.logs = cloudwatchlogs.NewFromConfig(c)
	h.sts = sts.NewFromConfig(c)
	who, err := h.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("harness: who am I in the emulator: %w", err)
	}
	h.account = aws.ToString(who.Account)
	if h.creds, err = newCredsServer(); err != nil {
		return nil, err
	}
	h.ctx, h.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return h, nil
}

// Dir is where the harness keeps agents and process output.
func (h *Harness) Dir() string { return h.cfg.Dir }

// Close stops every process (as a scale-in would: SIGTERM, then the stop timeout) and
// the harness's loops. Closing again does nothing.
func (h *Harness) Close() error {
	h.closeOnce.Do(func() { h.closeErr = h.close() })
	return h.closeErr
}

func (h *Harness) close() error {
	h.cancel()
	h.mu.Lock()
	procs := append([]*Process(nil), h.procs...)
	fns := slices.Collect(maps.Values(h.lambdas))
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop(30 * time.Second) }()
	}
	for _, f := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); f.proc.Stop(5 * time.Second) }()
	}
	wg.Wait()
	h.wg.Wait()
	h.creds.close()
	if h.ownDir {
		return os.RemoveAll(h.cfg.Dir)
	}
	return nil
}

// Play starts playing a stack: an S3 task (workers and their scaling, finder runs) or
// an image task (executions of its state machine, its Lambda, its copiers). A stack
// already played is read again (after an update) and goes on.
func (h *Harness) Play(ctx context.Context, stackName string) error {
	d, err := readStack(ctx, h.cf, stackName, h.cfg.AWS.Region, h.account)
	if err != nil {
		return err
	}
	h.mu.Lock()
	p, ok := h.stacks[d.name]
	if ok {
		p.d = d
		if p.s3 != nil {
			p.s3.setStack(d)
		}
		if p.imgs != nil {
			p.imgs.setStack(d)
		}
		h.mu.Unlock()
		return nil
	}
	sctx, cancel := context.WithCancel(h.ctx)
	p = &played{d: d, cancel: cancel}
	h.stacks[d.name] = p
	h.mu.Unlock()
	switch {
	case len(d.ofType("AWS::EC2::LaunchTemplate")) > 0:
		t, err := h.newS3Task(ctx, d)
		if err != nil {
			h.forget(d.name)
			return err
		}
		p.s3 = t
		h.loop(sctx, t.tick)
	case len(d.ofType("AWS::StepFunctions::StateMachine")) > 0:
		p.imgs = &imageTask{h: h, d: d}
		h.loop(sctx, p.imgs.tick)
	default:
		h.forget(d.name)
		return fmt.Errorf("harness: stack %s is neither an S3 task nor an image task (no launch template, no state machine)", d.name)
	}
	h.ensureECSLoop(d)
	h.log.Info("playing stack", "stack", d.name)
	return nil
}

// loop runs fn every tick until ctx ends (Close, Forget).
func (h *Harness) loop(ctx context.Context, fn func(ctx context.Context)) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		fn(ctx)
		wait.Every(ctx, h.cfg.Tick, fn)
	}()
}

// Forget stops playing a stack (it was deleted): its workers stop as a scale-in stops
// them; tasks and executions already running go on to their end.
func (h *Harness) Forget(stackName string) {
	p := h.forget(stackName)
	if p != nil && p.s3 != nil {
		p.s3.stopAll()
	}
}

func (h *Harness) forget(stackName string) *played {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.stacks[stackName]
	if p != nil {
		p.cancel()
		delete(h.stacks, stackName)
	}
	return p
}

// Watch plays every Transfer Hub task stack of the emulator whose name starts with
// prefix (all when empty) as it appears, reads it again after an update and forgets it
// when it is deleted; until ctx ends or Close. It is how a harness runs beside tests
// that deploy through the app (the thub-harness command).
func (h *Harness) Watch(ctx context.Context, prefix string) {
	h.loop(ctx, func(ctx context.Context) {
		if err := h.watchOnce(ctx, prefix); err != nil && ctx.Err() == nil {
			h.log.Warn("watch the emulator's stacks", "err", err)
		}
	})
}

func (h *Harness) watchOnce(ctx context.Context, prefix string) error {
	seen := map[string]bool{}
	p := cloudformation.NewDescribeStacksPaginator(h.cf, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, s := range page.Stacks {
			name := aws.ToString(s.StackName)
			kind := ""
			for _, t := range s.Tags {
				if aws.ToString(t.Key) == "thub:kind" {
					kind = aws.ToString(t.Value)
				}
			}
			if !strings.HasPrefix(name, prefix) || (kind != "s3-task" && kind != "image-task") {
				continue
			}
			switch s.StackStatus {
			case cftypes.StackStatusCreateComplete, cftypes.StackStatusUpdateComplete, cftypes.StackStatusUpdateRollbackComplete:
			default:
				continue
			}
			seen[name] = true
			h.mu.Lock()
			pl, known := h.stacks[name]
			stale := known && aws.ToTime(s.LastUpdatedTime).After(pl.updated)
			h.mu.Unlock()
			if known && !stale {
				continue
			}
			if err := h.Play(ctx, name); err != nil {
				h.problem(err)
				continue
			}
			h.mu.Lock()
			if pl := h.stacks[name]; pl != nil {
				pl.updated = aws.ToTime(s.LastUpdatedTime)
			}
			h.mu.Unlock()
		}
	}
	h.mu.Lock()
	var gone []string
	for name := range h.stacks {
		if strings.HasPrefix(name, prefix) && !seen[name] {
			gone = append(gone, name)
		}
	}
	h.mu.Unlock()
	for _, name := range gone {
		h.log.Info("stack gone", "stack", name)
		h.Forget(name)
	}
	return nil
}

// Stacks names the stacks the harness plays.
func (h *Harness) Stacks() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Sorted(maps.Keys(h.stacks))
}

// problem records something that means a stack (or the harness) is wrong: a process
// that could not start or failed, logs that could not be shipped. Tests assert there
// are none.
func (h *Harness) problem(err error) {
	if err == nil || h.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return
	}
	h.log.Error("harness problem", "err", err)
	h.mu.Lock()
	h.problems = append(h.problems, err)
	h.mu.Unlock()
}

// Problems returns what went wrong so far.
func (h *Harness) Problems() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.problems...)
}

// Processes returns every process the harness started, oldest first.
func (h *Harness) Processes() []*Process {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Process(nil), h.procs...)
}

func (h *Harness) stack(name string) (*played, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.stacks[name]
	if !ok {
		return nil, fmt.Errorf("harness: stack %s is not played (Play it first)", name)
	}
	return p, nil
}

// --- credentials ------------------------------------------------------------------------

// roleProvider is the credentials of one of a stack's roles (assumed with AWS's
// identity, renewed before they expire), or AWS's own without Config.Roles.
func (h *Harness) roleProvider(roleARN string) aws.CredentialsProvider {
	if !h.cfg.Roles || roleARN == "" {
		return h.cfg.AWS.Credentials
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.roleCreds[roleARN]; ok {
		return p
	}
	p := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(h.sts, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "thub-harness"
	}))
	h.roleCreds[roleARN] = p
	return p
}

// roleConfig is AWS's configuration with a role's credentials.
func (h *Harness) roleConfig(roleARN string) aws.Config {
	c := h.cfg.AWS.Copy()
	c.Credentials = h.roleProvider(roleARN)
	return c
}

// credsServer serves credentials the way ECS does for a task
// (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN), so the SDK's
// default chain of each process finds and renews them.
type credsServer struct {
	srv   *http.Server
	addr  string
	mu    sync.Mutex
	by    map[string]aws.CredentialsProvider // token -> provider
	count int
}

func newCredsServer() (*credsServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("harness: credentials endpoint: %w", err)
	}
	s := &credsServer{addr: l.Addr().String(), by: map[string]aws.CredentialsProvider{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *credsServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := s.by[r.Header.Get("Authorization")]
	s.mu.Unlock()
	if p == nil {
		http.Error(w, `{"code":"AccessDenied","message":"unknown token"}`, http.StatusForbidden)
		return
	}
	c, err := p.Retrieve(r.Context())
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"code":"AssumeRoleFailed","message":%q}`, err.Error())
		return
	}
	out := map[string]string{"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "Token": c.SessionToken}
	if c.CanExpire {
		out["Expiration"] = c.Expires.UTC().Format(time.RFC3339)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(jsonString(out)))
}

// env returns the environment that points a process's SDK at p.
func (s *credsServer) env(p aws.CredentialsProvider) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	token := fmt.Sprintf("thub-harness-%d-%d", os.Getpid(), s.count)
	s.by[token] = p
	return []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://" + s.addr + "/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN=" + token}
}

func (s *credsServer) close() { _ = s.srv.Close() }

// baseEnv is what every process gets besides its own: the emulator through the SDK's
// standard settings, no shared config of this machine, no instance metadata.
func (h *Harness) baseEnv(home string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + home,
		"AWS_ENDPOINT_URL=" + h.cfg.Endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-aws-credentials"),
	}
	return append(env, h.cfg.Env...)
}

// procEnv gives a process its role's credentials as a container credentials endpoint.
func (h *Harness) procEnv(home, roleARN string) ([]string, error) {
	env := h.baseEnv(home)
	if h.cfg.Roles {
		if roleARN == "" {
			return nil, errors.New("no role to run as")
		}
		return append(env, h.creds.env(h.roleProvider(roleARN))...), nil
	}
	return append(env, h.creds.env(h.cfg.AWS.Credentials)...), nil
}

// --- helpers -----------------------------------------------------------------------------

// machine is this machine's `uname -m`.
func machine() string {
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64"
	case "amd64":
		return "x86_64"
	}
	return runtime.GOARCH
}

// envMap turns KEY=VALUE lines into a map (the last wins) and back, sorted.
func envMap(lines []string) map[string]string {
	m := map[string]string{}
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func envLines(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
