package cloudrun_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/cloudrun"
	"transferhub/cloud/internal/imdsfake"
)

// autoScalingFake answers CompleteLifecycleAction in the Query protocol's shape and
// keeps each call's form: the real SDK client talks to it, so the request on the wire is
// what AWS would get. (The emulator has no CompleteLifecycleAction.)
type autoScalingFake struct {
	mu    sync.Mutex
	calls []url.Values
	fail  bool
}

func (f *autoScalingFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.calls = append(f.calls, r.PostForm)
	fail := f.fail
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	if fail || r.PostForm.Get("Action") != "CompleteLifecycleAction" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>No active Lifecycle Action found with instance ID i-0fake</Message></Error><RequestId>r1</RequestId></ErrorResponse>`))
		return
	}
	_, _ = w.Write([]byte(`<CompleteLifecycleActionResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><CompleteLifecycleActionResult/><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>`))
}

func (f *autoScalingFake) completions() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.calls...)
}

func newLifecycle(t *testing.T, every time.Duration) (*cloudrun.Lifecycle, *imdsfake.Server, *autoScalingFake) {
	t.Helper()
	// As processes run in tests and by the harness: the SDK looks for no credentials in
	// the metadata service; the lifecycle watch still reads it.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	md, err := imdsfake.Start("i-0fake")
	require.NoError(t, err)
	t.Cleanup(func() { md.Close() })
	as := &autoScalingFake{}
	srv := httptest.NewServer(as)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", "")}
	l := &cloudrun.Lifecycle{
		Metadata:    cloudrun.NewIMDS(cfg, md.URL),
		AutoScaling: autoscaling.NewFromConfig(cfg, func(o *autoscaling.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
		Group:       "stack-workers", Hook: "drain", Every: every,
	}
	return l, md, as
}

// Scale-in: the target lifecycle state turns Terminated; the worker's context ends
// with ErrTerminating (its graceful stop), and once the work returned the action is
// completed with CONTINUE for this instance (its id read from the metadata service),
// the group and the hook.
func TestLifecycleTerminated(t *testing.T) {
	l, md, as := newLifecycle(t, 10*time.Millisecond)
	var cause error
	err := l.Run(context.Background(), func(ctx context.Context) error {
		for md.LifecycleReads() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		require.Empty(t, as.completions(), "not completed while in service")
		md.SetLifecycleState("Terminated")
		<-ctx.Done()
		cause = context.Cause(ctx)
		require.Empty(t, as.completions(), "not completed before the work stopped")
		return nil
	})
	require.NoError(t, err)
	require.ErrorIs(t, cause, cloudrun.ErrTerminating)
	calls := as.completions()
	require.Len(t, calls, 1)
	c := calls[0]
	require.Equal(t, "CompleteLifecycleAction", c.Get("Action"))
	require.Equal(t, "stack-workers", c.Get("AutoScalingGroupName"))
	require.Equal(t, "drain", c.Get("LifecycleHookName"))
	require.Equal(t, "i-0fake", c.Get("InstanceId"))
	require.Equal(t, "CONTINUE", c.Get("LifecycleActionResult"))
}

// A worker stopped by SIGTERM completes the action only when its instance is being
// terminated (one read after the stop); in service (a restart, an upgrade) it does not.
func TestLifecycleSignal(t *testing.T) {
	for _, state := range []string{"InService", "Terminated"} {
		t.Run(state, func(t *testing.T) {
			l, md, as := newLifecycle(t, time.Hour) // the watch never polls: only the read after the stop
			md.SetLifecycleState(state)
			ctx, stop := context.WithCancel(context.Background())
			err := l.Run(ctx, func(ctx context.Context) error {
				stop() // SIGTERM
				<-ctx.Done()
				return nil
			})
			require.NoError(t, err)
			if state == "Terminated" {
				require.Len(t, as.completions(), 1)
			} else {
				require.Empty(t, as.completions())
			}
		})
	}
}

// A completion Auto Scaling refuses is an error that says the hook's timeout lets the
// instance go; the work's own error comes with it.
func TestLifecycleCompleteFails(t *testing.T) {
	l, md, as := newLifecycle(t, time.Hour)
	as.fail = true
	md.SetLifecycleState("Terminated")
	ctx, stop := context.WithCancel(context.Background())
	err := l.Run(ctx, func(context.Context) error { stop(); return context.Canceled })
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "the instance goes when the hook times out")
	require.ErrorContains(t, err, "No active Lifecycle Action")
}

// Without the group's or the hook's name the watch refuses to start.
func TestLifecycleNeedsNames(t *testing.T) {
	l, _, _ := newLifecycle(t, time.Hour)
	l.Group = ""
	err := l.Run(context.Background(), func(context.Context) error { t.Fatal("work ran"); return nil })
	require.ErrorContains(t, err, "group's name and the hook's name")
}
