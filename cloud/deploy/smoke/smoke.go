// Package smoke is the manual smoke test of a real AWS account (`make smoke-aws`, never
// in CI): it deploys a control plane and a tiny S3 task between two buckets it makes,
// runs the task (the finder on Fargate, workers on EC2 woken by the scaling alarm),
// checks the copies, and deletes everything, printing what it created and what it
// removed. The same run rehearses against the AWS emulator with the compute harness
// (cloud/deploy/harness tests). How to run it: cloud/docs/deploy.md, "Smoke test".
package smoke

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
)

// Options say where and how the smoke test runs.
type Options struct {
	// AWS is the account and Region (the standard configuration: profile, SSO,
	// AWS_REGION ...).
	AWS aws.Config
	// Agents is the directory with thub-linux-arm64 and thub-linux-amd64 (make
	// build-thub writes build/bin).
	Agents string
	// Name of the control plane and prefix of everything made (default
	// thub-smoke-<random>): a control plane of that name must not exist.
	Name    string
	Objects int           // objects to copy (default 12)
	Timeout time.Duration // for the run (default 30m: workers boot, the alarm wakes them)
	// Keep leaves everything in place (to look at it); it says what to delete.
	Keep bool
	Out  io.Writer
	// Rehearsal against the AWS emulator only: its quirks (Deployer.Emulator) and a
	// local registry standing in for ECR's.
	Emulator         bool
	RegistryHost     string
	RegistryInsecure bool
	// Poll is how often the run's state is read (default 15s).
	Poll time.Duration
}

// Report is what the smoke test made and removed.
type Report struct {
	Account, Region string
	Created         []string
	Removed         []string
	Left            []string // what stays after the deletes (kept on purpose, or a failed delete)
	Task            *state.Task
}

// Run runs the smoke test; it cleans up even when a step fails (unless Keep).
func Run(ctx context.Context, o Options) (rep Report, err error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Objects <= 0 {
		o.Objects = 12
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 15 * time.Second
	}
	if o.Name == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.Name = "thub-smoke-" + hex.EncodeToString(b)
	}
	say := func(format string, a ...any) { fmt.Fprintf(o.Out, format+"\n", a...) }
	who, err := sts.NewFromConfig(o.AWS).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return rep, fmt.Errorf("who is deploying (sts:GetCallerIdentity): %w", err)
	}
	rep.Account, rep.Region = aws.ToString(who.Account), o.AWS.Region
	say("smoke test in account %s, Region %s, as %s; everything is named %s-*", rep.Account, rep.Region, aws.ToString(who.Arn), o.Name)

	c := deploy.NewClients(o.AWS)
	d := deploy.New(c, o.AWS.Region)
	d.Emulator = o.Emulator
	if o.Emulator {
		d.Poll, d.MaxPoll = 200*time.Millisecond, time.Second
	}
	d.Assets = deploy.AssetSource{Agents: assets.Dir(o.Agents), Registry: deploy.ECRRegistry(o.AWS, o.RegistryHost, o.RegistryInsecure),
		Progress: func(e assets.Event) {
			if e.Finished {
				verb := "uploaded"
				if e.Skipped {
					verb = "already there"
				}
				say("  asset %s: %s (%d bytes)", e.Asset, verb, e.Total)
			}
		}}
	if _, err := d.ControlPlane(ctx, o.Name); err == nil {
		return rep, fmt.Errorf("a control plane %q exists in %s already: choose another name", o.Name, o.AWS.Region)
	} else if !errors.Is(err, deploy.ErrNoControlPlane) {
		return rep, err
	}
	s := &smoke{o: o, d: d, c: c, s3: s3.NewFromConfig(o.AWS, func(so *s3.Options) { so.UsePathStyle = o.AWS.BaseEndpoint != nil }), say: say, rep: &rep}
	if !o.Keep {
		defer func() {
			cerr := s.cleanup(context.WithoutCancel(ctx))
			err = errors.Join(err, cerr)
		}()
	}
	err = s.run(ctx)
	if o.Keep {
		say("kept (-keep): delete them with `thub deploy delete %s --control-plane %s`, `thub deploy delete control-plane --control-plane %s` and by removing the buckets",
			s.taskID, o.Name, o.Name)
	}
	return rep, err
}

type smoke struct {
	o        Options
	d        *deploy.Deployer
	c        deploy.Clients
	s3       *s3.Client
	say      func(string, ...any)
	rep      *Report
	src, dst string
	taskID   string
	cp       bool
	task     bool
}

func (s *smoke) created(what string) {
	s.rep.Created = append(s.rep.Created, what)
	s.say("created %s", what)
}

func (s *smoke) run(ctx context.Context) error {
	o := s.o
	s.src, s.dst = o.Name+"-src", o.Name+"-dst"
	for _, b := range []string{s.src, s.dst} {
		in := &s3.CreateBucketInput{Bucket: aws.String(b)}
		if r := o.AWS.Region; r != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(r)}
		}
		if _, err := s.s3.CreateBucket(ctx, in); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
		s.created("bucket " + b)
	}
	for i := range o.Objects {
		body := bytes.Repeat([]byte(fmt.Sprintf("transfer hub smoke %d\n", i)), 50+i*13)
		if _, err := s.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.src), Key: aws.String(fmt.Sprintf("in/d%d/object-%02d.txt", i%3, i)), Body: bytes.NewReader(body)}); err != nil {
			return fmt.Errorf("put the test objects: %w", err)
		}
	}
	s.say("put %d objects under s3://%s/in/", o.Objects, s.src)

	s.say("deploying the control plane %s ...", o.Name)
	plan, err := s.d.PlanControlPlane(ctx, deploy.ControlPlaneRequest{Name: o.Name, LogRetentionDays: 1})
	if err != nil {
		return err
	}
	s.cp = true
	out, err := s.d.Execute(ctx, plan, s.progress)
	if err != nil {
		return fmt.Errorf("deploy the control plane: %w", err)
	}
	s.created(fmt.Sprintf("stack %s (%s, %d resources)", plan.Stack, out.Status, len(plan.Preview.Changes)))
	cp, err := s.d.ControlPlane(ctx, o.Name)
	if err != nil {
		return err
	}

	s.taskID = "smoke"
	s.say("deploying the task %s (s3://%s/in/ to s3://%s/out/) ...", s.taskID, s.src, s.dst)
	tp, err := s.d.PlanTask(ctx, deploy.TaskRequest{ControlPlane: o.Name, Kind: stack.KindS3Task, TaskID: s.taskID, TaskName: "smoke test",
		Env: map[string]string{"THUB_SRC": "s3://" + s.src + "/in/", "THUB_DST": "s3://" + s.dst + "/out/"},
		S3:  deploy.S3Options{Fleet: stack.Fleet{MaxWorkers: 1, BacklogPerWorker: 1, Idle: time.Minute}, NoProgress: 30 * time.Minute}}, false)
	if err != nil {
		return err
	}
	s.task = true
	for _, u := range tp.Uploaded {
		s.created("asset " + u)
	}
	to, err := s.d.ExecuteTask(ctx, tp, s.progress)
	if err != nil {
		return fmt.Errorf("deploy the task: %w", err)
	}
	s.created(fmt.Sprintf("stack %s (%s, %d resources), table %s", tp.Stack, to.Status, len(tp.Preview.Changes), to.Table))

	// Run now, as the app does: the finder's task definition in the control plane's
	// cluster and network.
	r, err := ecs.NewFromConfig(o.AWS).RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String(cp.ClusterARN), TaskDefinition: aws.String(to.Outputs["FinderTaskDefinitionArn"]),
		LaunchType: ecstypes.LaunchTypeFargate, Count: aws.Int32(1), StartedBy: aws.String("thub-smoke"),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: cp.SubnetIDs, SecurityGroups: []string{cp.SecurityGroupID}, AssignPublicIp: ecstypes.AssignPublicIp(cp.AssignPublicIP)}}})
	if err != nil {
		return fmt.Errorf("start the finder (ecs:RunTask): %w", err)
	}
	if len(r.Tasks) != 1 {
		return fmt.Errorf("start the finder: %s", jsonOf(r.Failures))
	}
	s.say("finder started: %s; waiting for the run (workers boot and the alarm wakes them: minutes on AWS)", aws.ToString(r.Tasks[0].TaskArn))
	deadline := time.Now().Add(o.Timeout)
	for {
		st, err := s.d.Status(ctx, o.Name, s.taskID)
		if err == nil && st.Run != nil {
			c := st.Run.Counters
			s.say("  %s: found %d, done %d, failed %d", st.Run.Status, c.FoundObjects, c.DoneObjects, c.FailedObjects)
			if st.Run.Status == state.TaskCompleted || st.Run.Status == state.TaskFailed {
				s.rep.Task = st.Run
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the run did not end within %s", o.Timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(o.Poll):
		}
	}
	if s.rep.Task.Status != state.TaskCompleted || s.rep.Task.Counters.DoneObjects != int64(o.Objects) {
		return fmt.Errorf("the run ended %s with %+v (%s)", s.rep.Task.Status, s.rep.Task.Counters, s.rep.Task.LastError)
	}
	if err := s.verify(ctx); err != nil {
		return err
	}
	s.say("copied and verified %d objects", o.Objects)
	return nil
}

func (s *smoke) progress(p deploy.Progress) {
	if p.Resource != nil {
		return
	}
	s.say("  %s: %d/%d resources, %s", p.Stack, p.Done, p.Total, p.StackStatus)
}

// verify compares the copies' sizes and ETags with the sources' (single-part objects:
// the ETag is the MD5 of the bytes).
func (s *smoke) verify(ctx context.Context) error {
	src, err := s.list(ctx, s.src, "in/")
	if err != nil {
		return err
	}
	dst, err := s.list(ctx, s.dst, "out/")
	if err != nil {
		return err
	}
	if len(src) != len(dst) {
		return fmt.Errorf("the destination has %d objects, the source %d", len(dst), len(src))
	}
	for k, v := range src {
		if dst[k] != v {
			return fmt.Errorf("object %s: source %s, copy %s", k, v, dst[k])
		}
	}
	return nil
}

func (s *smoke) list(ctx context.Context, bucket, prefix string) (map[string]string, error) {
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out[strings.TrimPrefix(aws.ToString(o.Key), prefix)] = fmt.Sprintf("%d bytes, ETag %s", aws.ToInt64(o.Size), aws.ToString(o.ETag))
		}
	}
	return out, nil
}

// cleanup deletes the task (and its data), the control plane (and its data) and the
// buckets, saying what went and what stayed.
func (s *smoke) cleanup(ctx context.Context) error {
	var errs []error
	removed := func(r deploy.DeleteResult) {
		for _, it := range r.Removes {
			s.rep.Removed = append(s.rep.Removed, it.What+" "+it.Name)
			s.say("removed %s %s", it.What, it.Name)
		}
		for _, it := range r.Survives {
			s.rep.Left = append(s.rep.Left, it.What+" "+it.Name+" ("+it.Why+")")
			s.say("left %s %s: %s", it.What, it.Name, it.Why)
		}
	}
	if s.task {
		r, err := s.d.DeleteTask(ctx, deploy.DeleteRequest{ControlPlane: s.o.Name, TaskID: s.taskID}, s.progress)
		if err != nil {
			errs = append(errs, fmt.Errorf("delete the task: %w", err))
		}
		removed(r)
	}
	if s.cp {
		r, err := s.d.DeleteControlPlane(ctx, deploy.DeleteRequest{ControlPlane: s.o.Name}, s.progress)
		if err != nil {
			errs = append(errs, fmt.Errorf("delete the control plane: %w", err))
		}
		removed(r)
	}
	for _, b := range []string{s.src, s.dst} {
		if b == "" {
			continue
		}
		if err := s.deleteBucket(ctx, b); err != nil {
			errs = append(errs, err)
			s.rep.Left = append(s.rep.Left, "bucket "+b+" (could not be deleted)")
			continue
		}
		s.rep.Removed = append(s.rep.Removed, "bucket "+b)
		s.say("removed bucket %s", b)
	}
	// What one delete left (the task's logs in the control plane's group) another may
	// have removed since.
	var left []string
	for _, l := range s.rep.Left {
		gone := false
		for _, r := range s.rep.Removed {
			if name := strings.Fields(r); len(name) > 1 && strings.Contains(l, " "+name[len(name)-1]+" ") {
				gone = true
			}
		}
		if !gone {
			left = append(left, l)
		}
	}
	s.rep.Left = left
	sort.Strings(s.rep.Left)
	return errors.Join(errs...)
}

func (s *smoke) deleteBucket(ctx context.Context, b string) error {
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var nb *s3types.NoSuchBucket
			if errors.As(err, &nb) {
				return nil
			}
			return fmt.Errorf("empty bucket %s: %w", b, err)
		}
		for _, o := range page.Contents {
			if _, err := s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: o.Key}); err != nil {
				return fmt.Errorf("empty bucket %s: %w", b, err)
			}
		}
	}
	if _, err := s.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
		return fmt.Errorf("delete bucket %s: %w", b, err)
	}
	return nil
}

func jsonOf(v any) string { return fmt.Sprintf("%+v", v) }
