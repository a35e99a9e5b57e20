package main

import (
	"github.com/spf13/cobra"

	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

// syncFlags are the flags of `thub s3 sync`: the task's spec (bound by cloud/spec) and
// the command's own.
type syncFlags struct {
	agent      spec.Agent
	spec       *spec.S3Flags
	dryRun     bool
	jsonOut    bool
	noProgress bool
	statePath  string
}

func (fl *syncFlags) add(c *cobra.Command) {
	fl.agent = spec.NewAgent(state.TaskS3)
	f := c.Flags()
	fl.spec = spec.BindS3Sync(f, &fl.agent)
	f.BoolVar(&fl.dryRun, "dry-run", false, "only plan: list and compare, print counts, bytes and estimated requests")
	f.BoolVar(&fl.jsonOut, "json", false, "print the result as one JSON object on the last line of stdout")
	f.BoolVar(&fl.noProgress, "no-progress", false, "no progress bar even on a terminal")
	f.StringVar(&fl.statePath, "state", "", "state file of this task (default: per SRC+DST under the user cache dir)")
}
