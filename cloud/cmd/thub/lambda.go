package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/spf13/cobra"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/spec"
	"transferhub/cloud/state/dynamostore"
)

// lambdaArgs lets the thub binary be a Lambda custom runtime: packaged as "bootstrap",
// it runs the handler named by the function's handler setting (_HANDLER), e.g.
// "image-list".
func lambdaArgs(args []string) []string {
	if filepath.Base(args[0]) == "bootstrap" && len(args) == 1 {
		if h := os.Getenv("_HANDLER"); h != "" {
			return append(args, "lambda", h)
		}
	}
	return args
}

func newLambdaCmd() *cobra.Command {
	c := &cobra.Command{Use: "lambda", Short: "AWS Lambda handlers of the cloud run (each also runs as a plain command)"}
	c.AddCommand(newLambdaImageListCmd())
	return c
}

// imageListEvent is the handler's input (all optional: the task comes from the
// function's environment). The state machine passes its execution ($$.Execution.Id),
// which holds the task's execution lease from the listing to its last step, its
// timeout (the lease lapses 10 minutes after it), and, in its last step, release.
type imageListEvent struct {
	BatchSize         int    `json:"batchSize,omitempty"`
	Execution         string `json:"execution,omitempty"`
	RunTimeoutSeconds int    `json:"runTimeoutSeconds,omitempty"`
	Release           bool   `json:"release,omitempty"`
	// RunID (with Release) is the run the execution's listing began: one its copies left
	// RUNNING is ended (cloudrun.EndUnsettledRun). State machines deployed before it was
	// passed give none: nothing to end.
	RunID string `json:"runId,omitempty"`
}

// imageListResult is the handler's output: the listing, or what a release did.
type imageListResult struct {
	cloudrun.ImageList
	Released string `json:"released,omitempty"`
}

// TaskBusy is the handler's error while another execution runs the task: its type name
// is the error name the state machine catches (the execution ends without a run).
type TaskBusy struct{ err error }

func (e TaskBusy) Error() string { return e.err.Error() }
func (e TaskBusy) Unwrap() error { return e.err }

// TaskStopped is the handler's error when the user stopped the task after the execution
// was started (a schedule firing as Stop paused it): no run begins, and the state
// machine catches it so the execution ends without raising the run-failed alarm.
type TaskStopped struct{ err error }

func (e TaskStopped) Error() string { return e.err.Error() }
func (e TaskStopped) Unwrap() error { return e.err }

// executionEnded asks Step Functions whether an execution is over (it holds the task's
// lease only while it runs).
func executionEnded(api *sfn.Client) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, arn string) (bool, error) {
		out, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return false, fmt.Errorf("describe execution %s: %w", arn, err)
		}
		return out.Status != sfntypes.ExecutionStatusRunning, nil
	}
}

// releaseExecution is the state machine's last step: the run its copies left RUNNING
// ends (when the event names it), and the execution's lease is released.
func releaseExecution(ctx context.Context, cmd *cobra.Command, a spec.Agent, ev imageListEvent) (imageListResult, error) {
	if a.TaskID == "" || a.Table == "" {
		return imageListResult{}, errors.New("missing --task-id (THUB_TASK_ID) or --table (THUB_TABLE)")
	}
	clients, err := loadAWS(ctx, a.Region)
	if err != nil {
		return imageListResult{}, err
	}
	st := dynamostore.New(clients.ddb, a.Table)
	if ev.RunID != "" {
		log, err := newLoggerEnv(cmd, "json", a.LogLevel, a.LogFormat, "task", a.TaskID, "role", "image-list")
		if err != nil {
			return imageListResult{}, badInput(err)
		}
		if _, err := cloudrun.EndUnsettledRun(ctx, st, a.TaskID, ev.RunID, a.Task.Schedule.OneTime(), log); err != nil {
			return imageListResult{}, err
		}
	}
	if err := cloudrun.ReleaseExecution(ctx, st, a.TaskID, ev.Execution); err != nil {
		return imageListResult{}, err
	}
	return imageListResult{ImageList: cloudrun.ImageList{TaskID: a.TaskID}, Released: ev.Execution}, nil
}

func newLambdaImageListCmd() *cobra.Command {
	f := &imageCloudFlags{}
	var event string
	c := &cobra.Command{
		Use:   "image-list",
		Short: "List the task's images and split them into batches for the copiers (Lambda handler)",
		Long: `Expand the task's image selection into batches for 'thub image copy' and start the
task's run (found = the number of images). One run at a time: the listing takes the
task's execution lease; while another execution (or listing) holds it, the handler fails
with error type TaskBusy and changes nothing, so the run under way keeps its work. The
state machine passes {"execution":..., "runTimeoutSeconds":...}: the execution keeps the
lease through its copiers until its last step invokes {"release":true,"execution":...,
"runId":...}, which ends the run if its copies left it RUNNING (FAILED, saying how many
images were left), or until it lapses; an execution that ended without that step (aborted, timed out) is
taken over at once. A task its user stopped starts no run: the handler fails with error
type TaskStopped, which the state machine catches (the execution ends SUCCEEDED in state
Stopped). As a command: exit status 3 while another execution holds the task (nothing
changed), 0 without output for a stopped task, 2 on bad input or failure. The output is {"taskId","runId","found",
"batches":[{"taskId","runId","batch","items":[...]}...]}: a Step Functions Map runs one copier
per batch. When the inline output would pass the state machine's payload limit, batches are
kept in the table and travel as {"ref":...} instead.

Under the Lambda runtime (AWS_LAMBDA_RUNTIME_API set) it serves invocations; otherwise it
handles one event (--event FILE, "-" for stdin, or inline JSON; default {}) and prints the
output. Configuration: THUB_<FLAG> variables (see cloud/docs/cloud-run.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.spec.Env(cmd.Flags(), os.LookupEnv); err != nil { // --event, --batch-size, ...
				return badInput(err)
			}
			handler := func(ctx context.Context, ev imageListEvent) (imageListResult, error) {
				a := f.agent
				if ev.Release {
					return releaseExecution(ctx, cmd, a, ev)
				}
				size := a.BatchSize
				if ev.BatchSize > 0 {
					size = ev.BatchSize
				}
				eng, spec, st, log, err := f.setup(ctx, cmd, "image-list", true, nil, nil)
				if err != nil {
					return imageListResult{}, err
				}
				o := cloudrun.ListOptions{BatchSize: size, OneTime: a.Task.Schedule.OneTime(), Execution: ev.Execution, Log: log}
				if ev.RunTimeoutSeconds > 0 {
					o.LeaseTTL = time.Duration(ev.RunTimeoutSeconds)*time.Second + 10*time.Minute
				}
				if ev.Execution != "" {
					clients, err := loadAWS(ctx, a.Region)
					if err != nil {
						return imageListResult{}, err
					}
					o.Ended = executionEnded(sfn.NewFromConfig(clients.cfg))
				}
				out, err := cloudrun.ListImages(ctx, eng, spec, st, a.TaskID, a.TaskName, o)
				if errors.Is(err, cloudrun.ErrRunning) {
					log.Warn("not starting a run", "err", err)
					return imageListResult{}, TaskBusy{err}
				}
				if errors.Is(err, cloudrun.ErrStopped) {
					log.Info("task is stopped: not starting a run", "err", err)
					return imageListResult{}, TaskStopped{err}
				}
				return imageListResult{ImageList: out}, err
			}
			if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
				lambda.Start(handler) // serves invocations until the sandbox ends
				return nil
			}
			raw := []byte(event)
			switch {
			case event == "-":
				b, err := io.ReadAll(os.Stdin)
				if err != nil {
					return fmt.Errorf("read the event: %w", err)
				}
				raw = b
			case event != "" && !strings.HasPrefix(strings.TrimSpace(event), "{"):
				b, err := os.ReadFile(event)
				if err != nil {
					return fmt.Errorf("read the event: %w", err)
				}
				raw = b
			case event == "":
				raw = []byte("{}")
			}
			var ev imageListEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return fmt.Errorf("the event is not a JSON object like {\"batchSize\":20}: %w", err)
			}
			if ev.Release && ev.Execution == "" {
				return badInput(errors.New(`the event {"release":true} needs the "execution" whose lease to release`))
			}
			out, err := handler(cmd.Context(), ev)
			if errors.Is(err, cloudrun.ErrRunning) {
				fmt.Fprintf(os.Stderr, "thub: task %s: %v\n", f.agent.TaskID, err)
				return exitError{code: 3}
			}
			if errors.Is(err, cloudrun.ErrStopped) {
				fmt.Fprintf(os.Stderr, "thub: task %s is stopped: not starting a run\n", f.agent.TaskID)
				return nil
			}
			if err != nil {
				return err
			}
			b, _ := json.Marshal(out)
			fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return nil
		},
	}
	f.add(c, true)
	c.Flags().IntVar(&f.agent.BatchSize, "batch-size", 20, "images per batch (one copier task each)")
	c.Flags().StringVar(&event, "event", "", `the event when run as a command: a file, "-" (stdin) or inline JSON (default {})`)
	return c
}
