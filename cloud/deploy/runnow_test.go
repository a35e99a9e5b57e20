package deploy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/stack"
	"transferhub/cloud/testenv"
)

// Run now of an image task whose StartExecution response is lost: the SDK sends the
// request again, and the run asked for once is one execution, whose ARN RunNow returns,
// whether the first execution still runs when the request comes again (Step Functions
// returns it) or has ended already (the name is refused: it is still ours). Against the
// AWS emulator behind a proxy that lets the first StartExecution through and answers
// it with a 500, as a response lost on the way back. (Before, the execution had no
// name and the resend started a second one, which the app showed beside the first.)
func TestRunNowImageTaskStartsOneExecution(t *testing.T) {
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	direct := sfn.NewFromConfig(cfg)
	for _, c := range []struct {
		name  string
		ended bool // the first execution ends before the request comes again
	}{{"still running", false}, {"ended already", true}} {
		t.Run(c.name, func(t *testing.T) {
			sm, err := direct.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(testenv.Name("sm")),
				RoleArn:    aws.String("arn:aws:iam::123456789012:role/thub-test"),
				Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)})
			require.NoError(t, err)
			t.Cleanup(func() {
				_, _ = direct.DeleteStateMachine(context.Background(), &sfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn})
			})
			lossy := newLosingStarts(t, aws.ToString(cfg.BaseEndpoint), func(arn string) error {
				if !c.ended {
					return nil
				}
				_, err := direct.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn)})
				return err
			})
			via := cfg.Copy()
			via.BaseEndpoint = aws.String(lossy.URL)
			d := New(NewClients(via), cfg.Region)
			ts := TaskStack{TaskID: "t", Kind: stack.KindImageTask, Outputs: map[string]string{"StateMachineArn": aws.ToString(sm.StateMachineArn)}}

			started, err := d.RunNow(ctx, ts)
			require.NoError(t, err)
			require.Equal(t, 2, lossy.starts(), "the lost response was sent again")
			list, err := direct.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
			require.NoError(t, err)
			require.Len(t, list.Executions, 1, "one run asked for, one execution")
			require.Equal(t, aws.ToString(list.Executions[0].ExecutionArn), started.Execution)
		})
	}
}

// losingStarts passes requests to the emulator; the first StartExecution applies, and
// its response is replaced by a 500 after applied(execution ARN) ran (its error fails
// the test).
type losingStarts struct {
	*httptest.Server
	mu sync.Mutex
	n  int
}

func (l *losingStarts) starts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func newLosingStarts(t *testing.T, emulator string, applied func(arn string) error) *losingStarts {
	t.Helper()
	target, err := url.Parse(emulator)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	l := &losingStarts{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".StartExecution") {
			proxy.ServeHTTP(w, r)
			return
		}
		l.mu.Lock()
		l.n++
		first := l.n == 1
		l.mu.Unlock()
		if !first {
			proxy.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r)
		var out struct{ ExecutionArn string }
		body, _ := io.ReadAll(rec.Result().Body)
		if rec.Code != http.StatusOK || json.Unmarshal(body, &out) != nil || out.ExecutionArn == "" {
			t.Errorf("the first StartExecution: %d %s", rec.Code, body)
		} else if err := applied(out.ExecutionArn); err != nil {
			t.Errorf("after the first StartExecution: %v", err)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"__type":"InternalFailure","message":"the response was lost"}`))
	}))
	t.Cleanup(l.Close)
	return l
}

// The same, by Step Functions' documented rules, with AWS's behaviour for an execution
// without a name (the emulator names every such execution "None", so there a resend
// without a name collides instead of starting a second one): the request is applied
// twice, as the SDK sends it again after a lost response.
func TestRunNowImageTaskResentIsOneExecution(t *testing.T) {
	fake := &resentStarts{}
	d := New(Clients{SFN: fake}, "us-east-1")
	ts := TaskStack{TaskID: "t", Kind: stack.KindImageTask, Outputs: map[string]string{"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm"}}
	started, err := d.RunNow(context.Background(), ts)
	require.NoError(t, err)
	require.Len(t, fake.executions, 1, "one run asked for, one execution")
	require.Equal(t, fake.executions[0], started.Execution)
	require.True(t, strings.HasPrefix(started.Execution, "arn:aws:states:us-east-1:123456789012:execution:sm:run-"), started.Execution)
}

// resentStarts applies every StartExecution twice (a resend after a lost response) by
// Step Functions' rules: a name is unique per state machine, and the same name with
// the same input while that execution runs returns it; without a name AWS makes one.
type resentStarts struct {
	SFNAPI
	executions []string
	inputs     map[string]string
}

func (f *resentStarts) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	var out *sfn.StartExecutionOutput
	for range 2 {
		name := aws.ToString(in.Name)
		if name == "" {
			name = testenv.Name("uuid")
		}
		arn := executionARN(aws.ToString(in.StateMachineArn), name)
		if f.inputs == nil {
			f.inputs = map[string]string{}
		}
		if prev, ok := f.inputs[arn]; ok && prev != aws.ToString(in.Input) {
			return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists: '" + arn + "'")}
		} else if !ok {
			f.inputs[arn] = aws.ToString(in.Input)
			f.executions = append(f.executions, arn)
		}
		out = &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn)}
	}
	return out, nil
}
