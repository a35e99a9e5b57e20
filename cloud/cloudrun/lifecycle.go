package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"transferhub/cloud/internal/wait"
)

// MetadataAPI is what the lifecycle watch reads from the instance metadata service
// (IMDSv2: *imds.Client).
type MetadataAPI interface {
	GetMetadata(ctx context.Context, in *imds.GetMetadataInput, optFns ...func(*imds.Options)) (*imds.GetMetadataOutput, error)
}

// LifecycleAPI completes the Auto Scaling lifecycle action (*autoscaling.Client).
type LifecycleAPI interface {
	CompleteLifecycleAction(ctx context.Context, in *autoscaling.CompleteLifecycleActionInput, optFns ...func(*autoscaling.Options)) (*autoscaling.CompleteLifecycleActionOutput, error)
}

// NewIMDS is an IMDSv2-only metadata client; endpoint "" is the instance's own
// (http://169.254.169.254), another one a stand-in (tests, the harness). It is enabled
// even where AWS_EC2_METADATA_DISABLED keeps the SDK from looking for credentials
// there: the lifecycle watch is asked for by name.
func NewIMDS(cfg aws.Config, endpoint string) *imds.Client {
	return imds.NewFromConfig(cfg, func(o *imds.Options) {
		o.ClientEnableState = imds.ClientEnabled
		o.EnableFallback = aws.FalseTernary
		if endpoint != "" {
			o.Endpoint = endpoint
		}
	})
}

// Lifecycle lets a worker on an Auto Scaling instance go with its instance: the
// group's terminate hook holds the instance in Terminating:Wait; the worker sees its
// target lifecycle state turn Terminated, stops as on SIGTERM (no new jobs, in-flight
// ones finish or are released) and completes the hook's action (CONTINUE) so the
// instance goes at once instead of when the hook times out.
type Lifecycle struct {
	Metadata    MetadataAPI
	AutoScaling LifecycleAPI
	Group       string // the Auto Scaling group's name
	Hook        string // the terminate lifecycle hook's name
	InstanceID  string // "" reads it from the metadata service
	Every       time.Duration
	Log         *slog.Logger
}

// ErrTerminating is the cause of the work's context when the instance is being
// terminated.
var ErrTerminating = errors.New("the instance is being terminated (Auto Scaling target lifecycle state Terminated)")

// Run runs work with a context cancelled (cause ErrTerminating) once the instance's
// target lifecycle state is Terminated, and then, once work returned, completes the
// lifecycle action. When ctx ends first (SIGTERM) the state is read once more: a worker
// stopped for the instance's termination still lets it go. Work's error comes first;
// a failed completion is returned too (the hook's timeout lets the instance go then).
func (l *Lifecycle) Run(ctx context.Context, work func(context.Context) error) error {
	if l.Group == "" || l.Hook == "" {
		return errors.New("lifecycle hook: both the Auto Scaling group's name and the hook's name are needed")
	}
	log := l.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if l.InstanceID == "" {
		id, err := l.read(ctx, "instance-id")
		if err != nil {
			return fmt.Errorf("lifecycle hook: read the instance id: %w", err)
		}
		l.InstanceID = id
	}
	every := l.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	workCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		wait.Every(workCtx, every, func(ctx context.Context) {
			if l.terminated(ctx, log) {
				log.Info("the instance is being terminated: stopping the worker", "instance", l.InstanceID)
				cancel(ErrTerminating)
			}
		})
	}()
	err := work(workCtx)
	seen := errors.Is(context.Cause(workCtx), ErrTerminating)
	cancel(nil)
	<-watched
	after := context.WithoutCancel(ctx)
	if !seen && !l.terminated(after, log) {
		return err
	}
	return errors.Join(err, l.complete(after, log))
}

// terminated reads the target lifecycle state; an error counts as not terminated (the
// next read tries again).
func (l *Lifecycle) terminated(ctx context.Context, log *slog.Logger) bool {
	s, err := l.read(ctx, "autoscaling/target-lifecycle-state")
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("read the instance's target lifecycle state", "err", err)
		}
		return false
	}
	return s == "Terminated"
}

func (l *Lifecycle) read(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := l.Metadata.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
	if err != nil {
		return "", fmt.Errorf("instance metadata %s: %w", path, err)
	}
	defer out.Content.Close()
	b, err := io.ReadAll(out.Content)
	if err != nil {
		return "", fmt.Errorf("instance metadata %s: %w", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (l *Lifecycle) complete(ctx context.Context, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := l.AutoScaling.CompleteLifecycleAction(ctx, &autoscaling.CompleteLifecycleActionInput{
		AutoScalingGroupName: aws.String(l.Group), LifecycleHookName: aws.String(l.Hook),
		InstanceId: aws.String(l.InstanceID), LifecycleActionResult: aws.String("CONTINUE")})
	if err != nil {
		return fmt.Errorf("complete lifecycle hook %s of instance %s in group %s (the instance goes when the hook times out): %w",
			l.Hook, l.InstanceID, l.Group, err)
	}
	log.Info("lifecycle action completed: the instance may go", "instance", l.InstanceID, "group", l.Group, "hook", l.Hook)
	return nil
}
