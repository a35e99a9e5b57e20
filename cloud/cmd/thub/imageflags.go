package main

import (
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"transferhub/cloud/spec"
	"transferhub/cloud/state"
)

// imageSyncFlags are the flags of `thub image sync`: the task's spec (bound by
// cloud/spec) and the command's own.
type imageSyncFlags struct {
	agent                    spec.Agent
	spec                     *spec.ImageFlags
	allPlatforms             bool
	dryRun, jsonOut, noState bool
	statePath                string
	progress, plan           bool
}

func (f *imageSyncFlags) add(cmd *cobra.Command) {
	f.agent = spec.NewAgent(state.TaskImage)
	fl := cmd.Flags()
	f.spec = spec.BindImageSync(fl, &f.agent)
	fl.BoolVar(&f.allPlatforms, "all-platforms", false, "copy every platform and keep indexes intact (the default)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "list and compare (HEAD requests only), copy nothing")
	fl.BoolVar(&f.plan, "plan", false, "with --dry-run: print one JSON line per image (action copy/skip/error)")
	fl.BoolVar(&f.jsonOut, "json", false, "print the summary as one JSON line (last line of stdout)")
	fl.StringVar(&f.statePath, "state", "", "state file with per-image records (default: <user cache dir>/transfer-hub/images.db)")
	fl.BoolVar(&f.noState, "no-state", false, "do not record per-image results")
	fl.BoolVar(&f.progress, "progress", isatty.IsTerminal(os.Stderr.Fd()), "show progress on stderr (default: when stderr is a terminal)")
}
