package stackop

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/deploy"
)

// The tracker folds the deployer's reports into the operation and tells of each move.
func TestTrackerFollowsAndEnds(t *testing.T) {
	var told []Operation
	tr := Start(Operation{Kind: "deploy", Stack: "s"}, func() time.Time { return time.Unix(1, 0) }, func(o Operation) { told = append(told, o) })
	require.Len(t, told, 1)
	assert.Equal(t, "op-1000000000", told[0].ID)
	assert.NotNil(t, told[0].Resources, "an empty list, not null, for the page")

	tr.Planned("s", deploy.OpCreate, 2, []string{"agent"})
	assert.Equal(t, 0, told[1].Progress.Done)
	assert.Equal(t, 2, told[1].Progress.Total)
	assert.Equal(t, []string{"agent"}, told[1].Uploads)

	fail := &deploy.Failure{LogicalID: "B", Reason: "no"}
	_, err := tr.Follow(func(progress func(deploy.Progress)) (deploy.Outcome, error) {
		progress(deploy.Progress{Done: 0, Total: 2, Resource: &deploy.ResourceEvent{LogicalID: "A", Status: "CREATE_IN_PROGRESS"}})
		progress(deploy.Progress{Done: 1, Total: 2, Resource: &deploy.ResourceEvent{LogicalID: "A", Status: "CREATE_COMPLETE"}})
		progress(deploy.Progress{Done: 1, Total: 2, Resource: &deploy.ResourceEvent{LogicalID: "B", Status: "CREATE_FAILED", Reason: "no"}, FirstFailure: fail})
		return deploy.Outcome{FirstFailure: fail}, fmt.Errorf("create: %w", deploy.ErrRolledBack)
	})
	require.ErrorIs(t, err, deploy.ErrRolledBack)
	mid := told[3]
	assert.Equal(t, []deploy.ResourceEvent{{LogicalID: "A", Status: "CREATE_COMPLETE"}}, mid.Resources, "one row per resource, its latest status")
	assert.False(t, mid.Done)
	end := tr.Snapshot()
	assert.True(t, end.Done)
	assert.False(t, end.Succeeded)
	assert.True(t, end.DeleteAndRetry)
	assert.Equal(t, "B", end.FirstFailure.LogicalID)
	assert.Len(t, end.Resources, 2)
	assert.Equal(t, end, told[len(told)-1])
}

func clock() time.Time { return time.Unix(1, 0) }

// The emulator writes stack events only: the resources come with the outcome. An
// operation the app stopped following says it goes on in CloudFormation.
func TestTrackerEndings(t *testing.T) {
	tr := Start(Operation{Kind: "create"}, clock, nil)
	tr.End(deploy.Outcome{Resources: []deploy.ResourceEvent{{LogicalID: "A", Status: "CREATE_COMPLETE"}, {Status: "CREATE_COMPLETE"}}}, nil)
	op := tr.Snapshot()
	assert.True(t, op.Succeeded)
	assert.Equal(t, []deploy.ResourceEvent{{LogicalID: "A", Status: "CREATE_COMPLETE"}}, op.Resources, "the named ones")
	require.NotNil(t, op.Ended)
	assert.Equal(t, time.Unix(1, 0), *op.Ended)

	tr = Start(Operation{Kind: "create"}, clock, nil)
	tr.End(deploy.Outcome{}, fmt.Errorf("follow: %w", context.Canceled))
	assert.Equal(t, Stopped, tr.Snapshot().Error)

	tr = Start(Operation{Kind: "create"}, clock, nil)
	tr.End(deploy.Outcome{}, errors.New("boom"))
	assert.Equal(t, "boom", tr.Snapshot().Error)
	assert.False(t, tr.Snapshot().DeleteAndRetry)
}
