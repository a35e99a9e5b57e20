package harness

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"transferhub/cloud/internal/imdsfake"
)

// userData is the worker's user-data contract as the harness reads it from the
// deployed launch template (cloud/docs/deploy.md, "The worker's user data"): the
// environment file, the agent per architecture and where it is installed, the systemd
// unit that runs it, and the CloudWatch agent's log settings.
type userData struct {
	env          []string          // the environment file's KEY=VALUE lines
	agentSums    map[string]string // uname -m -> SHA-256
	agentBucket  string
	agentKey     string // with $sum
	execStart    []string
	stopTimeout  time.Duration
	restartDelay time.Duration
	logGroup     string
	logStream    string // with {instance_id}
}

var (
	heredocRE  = regexp.MustCompile(`^cat > (\S+) <<'?EOF'?$`)
	agentSumRE = regexp.MustCompile(`^\s*([a-z0-9_]+)\) sum=([0-9a-f]{64}) ;;`)
	s3cpRE     = regexp.MustCompile(`aws s3 cp .*"s3://([^/"]+)/([^"]+)" (\S+)$`)
	installRE  = regexp.MustCompile(`^install -m 0?755 (\S+) (\S+)$`)
)

// parseUserData reads the contract; anything missing or inconsistent is an error that
// names what the launch template lacks.
func parseUserData(script string) (*userData, error) {
	docs := map[string][]string{}
	var fetchedTo, installedFrom, installedTo string
	u := &userData{agentSums: map[string]string{}}
	lines := strings.Split(script, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " ")
		if m := heredocRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			var body []string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "EOF"; i++ {
				body = append(body, lines[i])
			}
			docs[m[1]] = body
			continue
		}
		if m := agentSumRE.FindStringSubmatch(line); m != nil {
			u.agentSums[m[1]] = m[2]
		}
		if m := s3cpRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			u.agentBucket, u.agentKey, fetchedTo = m[1], m[2], m[3]
		}
		if m := installRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			installedFrom, installedTo = m[1], m[2]
		}
	}
	unit, ok := docs["/etc/systemd/system/thub-worker.service"]
	if !ok {
		return nil, errors.New("the user data writes no systemd unit /etc/systemd/system/thub-worker.service")
	}
	var envFile, stdout string
	for _, l := range unit {
		k, v, _ := strings.Cut(strings.TrimSpace(l), "=")
		switch k {
		case "EnvironmentFile":
			envFile = strings.TrimPrefix(v, "-")
		case "ExecStart":
			u.execStart = strings.Fields(v)
		case "TimeoutStopSec":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("the worker unit's TimeoutStopSec %q is not whole seconds", v)
			}
			u.stopTimeout = time.Duration(n) * time.Second
		case "RestartSec":
			n, _ := strconv.Atoi(v)
			u.restartDelay = time.Duration(n) * time.Second
		case "StandardOutput":
			stdout = strings.TrimPrefix(v, "append:")
		}
	}
	switch {
	case len(u.execStart) == 0:
		return nil, errors.New("the worker unit has no ExecStart")
	case envFile == "":
		return nil, errors.New("the worker unit has no EnvironmentFile")
	case docs[envFile] == nil:
		return nil, fmt.Errorf("the worker unit reads EnvironmentFile %s, which the user data does not write", envFile)
	case len(u.agentSums) == 0:
		return nil, errors.New("the user data names no agent per architecture (`aarch64) sum=<sha256> ;;`)")
	case u.agentBucket == "" || !strings.Contains(u.agentKey, "$sum"):
		return nil, errors.New("the user data does not fetch the agent from s3://<bucket>/sha256/$sum")
	case installedFrom != fetchedTo:
		return nil, fmt.Errorf("the user data fetches the agent to %s but installs %s", fetchedTo, installedFrom)
	case installedTo != u.execStart[0]:
		return nil, fmt.Errorf("the worker unit runs %s, but the agent is installed as %s", u.execStart[0], installedTo)
	}
	for _, l := range docs[envFile] {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if !strings.Contains(l, "=") {
			return nil, fmt.Errorf("the environment file %s has a line without =: %q", envFile, l)
		}
		u.env = append(u.env, l)
	}
	if u.restartDelay == 0 {
		u.restartDelay = 100 * time.Millisecond // systemd's default RestartSec
	}
	// The CloudWatch agent's configuration: which file goes to which group and stream.
	for path, body := range docs {
		if !strings.HasSuffix(path, ".json") {
			continue
		}
		var cw struct {
			Logs struct {
				LogsCollected struct {
					Files struct {
						CollectList []struct {
							FilePath      string `json:"file_path"`
							LogGroupName  string `json:"log_group_name"`
							LogStreamName string `json:"log_stream_name"`
						} `json:"collect_list"`
					} `json:"files"`
				} `json:"logs_collected"`
			} `json:"logs"`
		}
		if err := json.Unmarshal([]byte(strings.Join(body, "\n")), &cw); err != nil {
			return nil, fmt.Errorf("the CloudWatch agent configuration %s: %w", path, err)
		}
		for _, c := range cw.Logs.LogsCollected.Files.CollectList {
			if c.FilePath == stdout {
				u.logGroup, u.logStream = c.LogGroupName, c.LogStreamName
			}
		}
	}
	if u.logGroup == "" {
		return nil, fmt.Errorf("no CloudWatch agent configuration ships the worker's output %q", stdout)
	}
	return u, nil
}

// s3Task plays an S3 task stack's workers: one process per instance of the group,
// the group's size driven by the scaling alarms of the template.
type s3Task struct {
	h       *Harness
	mu      sync.Mutex
	d       *deployed
	group   string // the group's name
	groupID string // its logical id in the template
	alarms  []*alarm

	workers map[string]*worker // instance id -> worker
	history []ScalingEvent
	most    int // the most workers running at once
	// completed: instances whose worker completed the terminate hook's action.
	completed []string
}

type worker struct {
	instance     string
	proc         *Process
	stopping     bool
	reported     bool
	restartDelay time.Duration
	// imds is the instance's metadata service; hook, the terminate hook the worker
	// completes ("": its environment names none, so it is stopped with SIGTERM).
	imds *imdsfake.Server
	hook string
}

func (h *Harness) newS3Task(ctx context.Context, d *deployed) (*s3Task, error) {
	t := &s3Task{h: h, workers: map[string]*worker{}}
	if err := t.setStack(d); err != nil {
		return nil, err
	}
	return t, nil
}

// setStack (re)reads what the task's workers and scaling come from.
func (t *s3Task) setStack(d *deployed) error {
	groups := d.ofType("AWS::AutoScaling::AutoScalingGroup")
	if len(groups) != 1 {
		return fmt.Errorf("stack %s has %d Auto Scaling groups, the harness plays one", d.name, len(groups))
	}
	group, ok := d.physical[groups[0]]
	if !ok {
		return fmt.Errorf("stack %s: its Auto Scaling group %s was not created", d.name, groups[0])
	}
	alarms, err := scalingAlarms(d)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.d, t.group, t.groupID, t.alarms = d, group, groups[0], alarms
	return nil
}

// tick evaluates the scaling alarms (one alarm period) and makes the running workers
// match the group's instances.
func (t *s3Task) tick(ctx context.Context) {
	g, err := t.describeGroup(ctx)
	if err != nil {
		if ctx.Err() == nil {
			t.h.log.Warn("read the worker group", "err", err)
		}
		return
	}
	if err := t.scale(ctx, g); err != nil && ctx.Err() == nil {
		if t.h.stackGoing(ctx, t.d.name) {
			// The stack's alarms go with it: nothing scales a deleted stack.
			t.h.log.Info("scaling skipped: the stack is being deleted", "stack", t.d.name, "err", err)
		} else {
			t.h.problem(err)
		}
	}
	if g, err = t.describeGroup(ctx); err == nil {
		t.reconcile(ctx, g)
	}
}

func (t *s3Task) describeGroup(ctx context.Context) (*astypes.AutoScalingGroup, error) {
	t.mu.Lock()
	name := t.group
	t.mu.Unlock()
	out, err := t.h.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return nil, err
	}
	if len(out.AutoScalingGroups) != 1 {
		return nil, fmt.Errorf("worker group %s is gone", name)
	}
	return &out.AutoScalingGroups[0], nil
}

// reconcile starts a worker for each instance in service and stops those of instances
// that left the group (scale-in: SIGTERM, the unit's stop timeout, as the lifecycle
// hook holds the instance meanwhile).
func (t *s3Task) reconcile(ctx context.Context, g *astypes.AutoScalingGroup) {
	live := map[string]bool{}
	for _, in := range g.Instances {
		if in.LifecycleState == astypes.LifecycleStateInService || in.LifecycleState == astypes.LifecycleStatePending {
			live[aws.ToString(in.InstanceId)] = true
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, w := range t.workers {
		if !live[id] && !w.stopping {
			w.stopping = true
			ud, _ := t.userData(ctx, g)
			grace := 60 * time.Second
			if ud != nil && ud.stopTimeout > 0 {
				grace = ud.stopTimeout
			}
			group := aws.ToString(g.AutoScalingGroupName)
			go func(w *worker) {
				t.retire(ctx, w, group, grace)
				t.mu.Lock()
				delete(t.workers, w.instance)
				t.mu.Unlock()
			}(w)
		}
	}
	for id := range live {
		if w, ok := t.workers[id]; ok {
			code, done := w.proc.Exited()
			if !done || w.stopping {
				continue
			}
			// A worker runs until it is stopped: ending by itself, even with status 0, is
			// a fault (a wrong command may just print help).
			if !w.reported {
				w.reported = true
				t.h.problem(fmt.Errorf("stack %s: the worker on %s exited with status %d before it was stopped (log %s)", t.d.name, id, code, w.proc.LogFile))
			}
			// systemd's Restart=on-failure: a failed worker comes back after RestartSec
			// (on the same instance: its metadata service stays).
			if code == 0 || time.Since(w.proc.Ended()) < w.restartDelay {
				continue
			}
		}
		w := t.workers[id]
		if w == nil {
			md, err := imdsfake.Start(id)
			if err != nil {
				t.h.problem(fmt.Errorf("stack %s: the metadata service of %s: %w", t.d.name, id, err))
				continue
			}
			w = &worker{instance: id, imds: md}
		}
		p, ud, err := t.startWorker(ctx, g, id, w.imds.URL)
		if err != nil {
			_ = w.imds.Close()
			delete(t.workers, id)
			t.h.problem(fmt.Errorf("stack %s: start the worker on %s: %w", t.d.name, id, err))
			continue
		}
		w.proc, w.restartDelay, w.hook, w.reported = p, ud.restartDelay, ud.envValue("THUB_LIFECYCLE_HOOK"), false
		t.workers[id] = w
	}
	n := 0
	for _, w := range t.workers {
		if !w.stopping {
			n++
		}
	}
	t.most = max(t.most, n)
}

// launchTemplate is the launch template the group launches: its id, its version and
// its logical id in the template ("": not one of the stack's). For the stack's own
// launch template the version is the one the deployed template names for the group,
// because the emulator resolves the group's !GetAtt LaunchTemplate.LatestVersionNumber
// once, when it creates the group: after a stack update its group still names the
// version it was created with, where CloudFormation would have moved it to the version
// the update made. A launch template the group was given outside the stack is
// launched as the group names it. The caller holds t.mu.
func (t *s3Task) launchTemplate(g *astypes.AutoScalingGroup) (id, version, logical string, err error) {
	if mip := g.MixedInstancesPolicy; mip != nil && mip.LaunchTemplate != nil && mip.LaunchTemplate.LaunchTemplateSpecification != nil {
		s := mip.LaunchTemplate.LaunchTemplateSpecification
		id, version = aws.ToString(s.LaunchTemplateId), aws.ToString(s.Version)
	} else if g.LaunchTemplate != nil {
		id, version = aws.ToString(g.LaunchTemplate.LaunchTemplateId), aws.ToString(g.LaunchTemplate.Version)
	}
	if id == "" {
		return "", "", "", fmt.Errorf("worker group %s has no launch template", aws.ToString(g.AutoScalingGroupName))
	}
	for _, n := range t.d.ofType("AWS::EC2::LaunchTemplate") {
		if t.d.physical[n] == id {
			logical = n
		}
	}
	if logical == "" {
		if version == "" {
			version = "$Latest"
		}
		return id, version, "", nil
	}
	if version, err = t.d.launchVersion(t.groupID, logical); err != nil {
		return "", "", "", err
	}
	return id, version, logical, nil
}

// stopAll stops every worker: the stack is gone.
func (t *s3Task) stopAll() {
	t.mu.Lock()
	ws := slices.Collect(maps.Values(t.workers))
	t.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		w.proc.stackDeleted()
		go func() { defer wg.Done(); w.proc.Stop(60 * time.Second); _ = w.imds.Close() }()
	}
	wg.Wait()
}

// userData reads the launch template version the group launches.
func (t *s3Task) userData(ctx context.Context, g *astypes.AutoScalingGroup) (*userData, error) {
	id, version, logical, err := t.launchTemplate(g)
	if err != nil {
		return nil, err
	}
	out, err := t.h.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(id), Versions: []string{version}})
	if err != nil {
		return nil, fmt.Errorf("read launch template %s version %s: %w", id, version, err)
	}
	if len(out.LaunchTemplateVersions) == 0 || out.LaunchTemplateVersions[0].LaunchTemplateData == nil {
		return nil, fmt.Errorf("launch template %s has no version %s", id, version)
	}
	data := out.LaunchTemplateVersions[0].LaunchTemplateData
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(data.UserData))
	if err != nil {
		return nil, fmt.Errorf("launch template %s: user data is not base64: %w", id, err)
	}
	script := string(raw)
	if version == "$Latest" && logical != "" && strings.HasPrefix(t.d.status, "UPDATE_") {
		// The emulator updates a launch template only when its template text or a
		// parameter it names with !Ref changed; a change that reaches the user data
		// through !Sub alone (the worker's environment) leaves the launch template as it
		// was, where CloudFormation would have made a new version with it. That version
		// is the template's user data with the stack's current values.
		if script, err = t.d.propString(logical, "LaunchTemplateData", "UserData"); err != nil {
			return nil, err
		}
	}
	ud, err := parseUserData(script)
	if err != nil {
		return nil, fmt.Errorf("launch template %s: %w", id, err)
	}
	if data.IamInstanceProfile == nil || aws.ToString(data.IamInstanceProfile.Arn) == "" {
		return nil, fmt.Errorf("launch template %s has no instance profile: the worker would have no credentials", id)
	}
	return ud, nil
}

// instanceRole is the role of the launch template's instance profile (the emulator's
// IAM holds it).
func (t *s3Task) instanceRole(ctx context.Context, g *astypes.AutoScalingGroup) (string, error) {
	if !t.h.cfg.Roles {
		return "", nil
	}
	id, version, _, err := t.launchTemplate(g)
	if err != nil {
		return "", err
	}
	out, err := t.h.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(id), Versions: []string{version}})
	if err != nil || len(out.LaunchTemplateVersions) == 0 || out.LaunchTemplateVersions[0].LaunchTemplateData.IamInstanceProfile == nil {
		return "", fmt.Errorf("read the instance profile of launch template %s: %v", id, err)
	}
	arn := aws.ToString(out.LaunchTemplateVersions[0].LaunchTemplateData.IamInstanceProfile.Arn)
	name := arn[strings.LastIndex(arn, "/")+1:]
	ip, err := iam.NewFromConfig(t.h.cfg.AWS).GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("the instance profile %s: %w", name, err)
	}
	if len(ip.InstanceProfile.Roles) != 1 {
		return "", fmt.Errorf("the instance profile %s has %d roles", name, len(ip.InstanceProfile.Roles))
	}
	return aws.ToString(ip.InstanceProfile.Roles[0].Arn), nil
}

// startWorker boots one instance: the user data's steps 1 to 3 (environment file,
// agent for this machine, ExecStart) and 5 (its output to CloudWatch Logs).
func (t *s3Task) startWorker(ctx context.Context, g *astypes.AutoScalingGroup, instance, imdsURL string) (*Process, *userData, error) {
	ud, err := t.userData(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	role, err := t.instanceRole(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	sum, ok := ud.agentSums[machine()]
	if !ok {
		return nil, nil, fmt.Errorf("the user data has no agent for %s", machine())
	}
	creds := t.h.roleProvider(role)
	agent, err := t.h.agentFromAssets(ctx, ud.agentBucket, strings.ReplaceAll(ud.agentKey, "$sum", sum), sum, creds)
	if err != nil {
		return nil, nil, err
	}
	home := filepath.Join(t.h.cfg.Dir, "instances", instance)
	env, err := t.h.procEnv(home, role)
	if err != nil {
		return nil, nil, err
	}
	// The environment file last: systemd's EnvironmentFile is the unit's environment.
	// The instance's metadata service is the harness's stand-in, read every half second
	// rather than every 5 (as the harness plays alarms' minutes as seconds): a worker
	// told to stop stops about as soon as a SIGTERM would have stopped it, so a test that
	// stops a run early still stops it before its end.
	env = append(append(env, ud.env...), "THUB_IMDS_ENDPOINT="+imdsURL, "THUB_LIFECYCLE_POLL=500ms")
	p, err := t.h.start(procSpec{kind: "worker", stack: t.d.name, name: instance, path: agent, args: ud.execStart[1:], env: env, home: home,
		logGroup: ud.logGroup, logStream: strings.ReplaceAll(ud.logStream, "{instance_id}", instance), logCreds: creds})
	return p, ud, err
}

// Fleet is an S3 task's workers as the harness sees them.
type Fleet struct {
	Desired, Min, Max int // the group's
	Running           int // worker processes not stopping
	Most              int // the most that ran at once
	History           []ScalingEvent
	// Completed are the instances whose worker, told by its metadata service that the
	// instance was being terminated, stopped and completed the terminate hook's action.
	Completed []string
}

// Fleet reports an S3 task's fleet.
func (h *Harness) Fleet(ctx context.Context, stackName string) (Fleet, error) {
	p, err := h.stack(stackName)
	if err != nil {
		return Fleet{}, err
	}
	if p.s3 == nil {
		return Fleet{}, fmt.Errorf("stack %s is not an S3 task", stackName)
	}
	g, err := p.s3.describeGroup(ctx)
	if err != nil {
		return Fleet{}, err
	}
	t := p.s3
	t.mu.Lock()
	defer t.mu.Unlock()
	f := Fleet{Desired: int(aws.ToInt32(g.DesiredCapacity)), Min: int(aws.ToInt32(g.MinSize)), Max: int(aws.ToInt32(g.MaxSize)), Most: t.most,
		History: append([]ScalingEvent(nil), t.history...), Completed: append([]string(nil), t.completed...)}
	for _, w := range t.workers {
		if !w.stopping {
			f.Running++
		}
	}
	return f, nil
}
