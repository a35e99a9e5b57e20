package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/spf13/cobra"

	"transferhub/cloud/cloudrun"
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
// function's environment).
type imageListEvent struct {
	BatchSize int `json:"batchSize,omitempty"`
}

func newLambdaImageListCmd() *cobra.Command {
	f := &imageCloudFlags{}
	var event string
	c := &cobra.Command{
		Use:   "image-list",
		Short: "List the task's images and split them into batches for the copiers (Lambda handler)",
		Long: `Expand the task's image selection into batches for 'thub image copy' and start the
task's run (found = the number of images). The output is {"taskId","runId","found",
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
			handler := func(ctx context.Context, ev imageListEvent) (cloudrun.ImageList, error) {
				size := f.agent.BatchSize
				if ev.BatchSize > 0 {
					size = ev.BatchSize
				}
				eng, spec, st, log, err := f.setup(ctx, cmd, "image-list", true, nil, nil)
				if err != nil {
					return cloudrun.ImageList{}, err
				}
				a := f.agent
				return cloudrun.ListImages(ctx, eng, spec, st, a.TaskID, a.TaskName, size, a.Task.Schedule.OneTime(), log)
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
			out, err := handler(cmd.Context(), ev)
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
