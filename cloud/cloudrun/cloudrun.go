// Package cloudrun wires the engines into the processes of a cloud run: finder and
// worker processes that cooperate through Amazon SQS and a DynamoDB table (the task's
// Store), image copiers fed by a Step Functions Map, and the Lambda that lists images.
// Configuration comes from environment variables and flags as the task's stack sets
// them (cloud/docs/cloud-run.md); far-side credentials come from Secrets Manager.
//
// The run's life cycle across processes is package taskrun's: one finder per task at a
// time (its lease), runs resumed or superseded, and the task marked COMPLETED by
// whichever process settles its last object, derived from the Store's records alone.
package cloudrun

import (
	"transferhub/cloud/state"
	"transferhub/cloud/taskrun"
)

// ErrBusy: another process holds the task's finder lease (taskrun.ErrBusy).
var ErrBusy = taskrun.ErrBusy

// ErrStopped: the user stopped the task, so a finder starts no run of it (checked in the
// write that would begin the run: state.ErrStopped).
var ErrStopped = state.ErrStopped
