package tasks

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
	"transferhub/cloud/taskrun"
)

// startsOnly is Step Functions as far as resuming an image task goes: it counts the
// executions started (any other call would panic on the nil interface).
type startsOnly struct {
	deploy.SFNAPI
	started []string
}

func (s *startsOnly) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	s.started = append(s.started, aws.ToString(in.StateMachineArn))
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(aws.ToString(in.StateMachineArn) + ":exec")}, nil
}

// Resuming a stopped image run: its copies belonged to the execution the stop ended and
// no queue keeps what was left, so an unfinished run gets a new execution (before, the
// task went back to RUNNING with nothing running, for ever); a run that settled
// meanwhile is only ended.
func TestResumeImageRunStartsAnExecutionForWhatIsLeft(t *testing.T) {
	for _, c := range []struct {
		name      string
		done      int64
		started   int
		wantState state.TaskStatus
	}{
		{"images left", 1, 1, state.TaskRunning},
		{"all settled", 2, 0, state.TaskCompleted},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			_, err = taskrun.Ensure(ctx, st, state.Task{ID: "t", Type: state.TaskImage, Name: "img", Engine: state.EngineCloud, Status: state.TaskIdle})
			require.NoError(t, err)
			b, err := taskrun.Begin(ctx, st, "t", taskrun.BeginOptions{})
			require.NoError(t, err)
			run := b.Task.RunID
			require.NoError(t, st.AddCounters(ctx, "t", run, state.Counters{FoundObjects: 2, DoneObjects: c.done}))
			require.NoError(t, st.FinishFinder(ctx, "t", run))
			require.NoError(t, st.SetTaskStatus(ctx, "t", []state.TaskStatus{state.TaskRunning}, state.TaskStopped, ""))
			mark, err := json.Marshal(stopMark{Status: state.TaskRunning, RunID: run, StoppedRuns: 1})
			require.NoError(t, err)
			require.NoError(t, st.SetMeta(ctx, "t", metaStopped, string(mark)))
			rec, err := st.GetTask(ctx, "t")
			require.NoError(t, err)

			fake := &startsOnly{}
			d := &deployer{Deployer: deploy.New(deploy.Clients{SFN: fake}, "us-east-1")}
			ts := deploy.TaskStack{TaskID: "t", Kind: stack.KindImageTask, Outputs: map[string]string{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm"}}
			r := &CloudRunner{}
			require.NoError(t, r.resume(ctx, Task{ID: "t", Name: "img"}, ts, st, d, rec, slog.New(slog.DiscardHandler)))
			assert.Len(t, fake.started, c.started)
			got, err := st.GetTask(ctx, "t")
			require.NoError(t, err)
			assert.Equal(t, c.wantState, got.Status)
		})
	}
}
