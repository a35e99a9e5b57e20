package tasks

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

// viewKey marks the context of the view under test, so that the gate below tells its
// profile lookups from the deploy's.
type viewKey struct{}

// viewGate is a credential store that forces one interleaving: the deploy's profile
// lookup waits until the view has read the task's file (the view's first lookup comes
// after that read), and the view's lookup waits until the deploy has ended.
type viewGate struct {
	*fakeCreds
	busy     func() bool
	viewRead chan struct{}
	once     sync.Once
	fired    bool
}

func (g *viewGate) Get(ctx context.Context, id string) (credentials.Profile, error) {
	if ctx.Value(viewKey{}) == nil {
		<-g.viewRead
		return g.fakeCreds.Get(ctx, id)
	}
	g.once.Do(func() {
		g.fired = true
		close(g.viewRead)
		for deadline := time.Now().Add(time.Minute); g.busy() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	})
	return g.fakeCreds.Get(ctx, id)
}

// A view that says a cloud task's stack is no longer busy says how its deploy ended,
// even when the deploy ended while the view was being read: the task's file said
// DEPLOYING when the view read it, and the runner's busy flag, read after the deploy
// failed, said the operation was over, so the view showed a deploy neither under way
// nor failed, with no LastError (TestTaskOperationPinsTheFirstFailure, under load).
func TestCloudViewNotBusyShowsHowTheDeployEnded(t *testing.T) {
	ctx := context.Background()
	gate := &viewGate{fakeCreds: newFakeCreds(awsProfile, regProfile), viewRead: make(chan struct{})}
	// No AWS access: the deploy fails in the background, as soon as it reaches the account.
	runner := NewCloudRunner(CloudRunnerOptions{Credentials: gate})
	gate.busy = func() bool { return runner.Busy("img-view") }
	mgr := New(Options{Folder: NewFolder(t.TempDir(), nil), Runners: []Runner{runner}, Credentials: gate})
	require.NoError(t, mgr.Open(ctx))
	t.Cleanup(func() { mgr.Close(context.Background()) })
	// The view looks the registry's profile up for the task's two ends (as it asks the
	// keychain, after reading the task's file); the deploy looks the account's profile up
	// for its Region.
	d := Definition{Image: &ImageSpec{
		Source:      ImageSource{ProfileID: "reg", ImageSource: spec.ImageSource{Kind: RegistryKind, References: []string{"team/app:v1"}}},
		Destination: ImageDestination{ProfileID: "reg", ImageDestination: spec.ImageDestination{Kind: RegistryKind, Prefix: "mirror"}},
	}, Cloud: &CloudOptions{ProfileID: "aws1", ControlPlane: "cp"}}
	enc, err := d.Encode()
	require.NoError(t, err)
	_, err = mgr.folder.create(ctx, state.Task{ID: "img-view", Type: state.TaskImage, Name: "images", Engine: state.EngineCloud,
		Definition: enc, Status: state.TaskDraft})
	require.NoError(t, err)

	require.NoError(t, mgr.Redeploy(ctx, "img-view", false))
	v, err := mgr.Get(context.WithValue(ctx, viewKey{}, true), "img-view")
	require.NoError(t, err)
	require.True(t, gate.fired, "the view looked the profile up")
	require.False(t, runner.Busy("img-view"), "the deploy ended while the view was read")
	require.NotNil(t, v.Cloud)
	if !v.Cloud.Busy {
		assert.Equal(t, state.TaskFailed, v.Status, "not busy: the deploy's end")
		assert.Contains(t, v.LastError, "deploy failed", "not busy: the deploy's end")
	}

	// Read again, the view says how the deploy ended.
	v, err = mgr.Get(ctx, "img-view")
	require.NoError(t, err)
	assert.False(t, v.Cloud.Busy)
	assert.Equal(t, state.TaskFailed, v.Status)
	assert.Equal(t, "deploy failed: this app cannot reach AWS accounts", v.LastError)
}
