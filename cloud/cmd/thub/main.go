// Command thub is Transfer Hub's agent and CLI: one static binary that runs the S3 and
// image engines on this computer (`thub s3 sync`, `thub image sync`) and, in the cloud,
// as finder, worker, copier and Lambda handler processes.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"transferhub/cloud/version"
)

// exitError carries a process exit code through cobra without printing twice.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(lambdaArgs(os.Args)[1:])
	cmd, err := root.ExecuteContextC(ctx)
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		// Ctrl-C or SIGTERM: the command said what was done; a re-run resumes.
		// (Its --json line is the summary it printed.)
		fmt.Fprintln(os.Stderr, "thub: interrupted: run the same command again (same state file) to continue")
		os.Exit(exitInterrupted)
	case err != nil:
		fmt.Fprintln(os.Stderr, "thub:", err)
		printJSONError(cmd, os.Args[1:], err.Error(), 2)
		os.Exit(2)
	}
}

// exitInterrupted is the exit status of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT,
// as shells report it).
const exitInterrupted = 130

// printJSONError writes a command's failure as the JSON object on the last line of
// stdout when it was asked for --json: a script reads an answer either way. A flag that
// failed to parse stops the parsing before --json is read, so the arguments are looked at
// too.
func printJSONError(cmd *cobra.Command, args []string, msg string, code int) {
	if cmd == nil || cmd.Flags().Lookup("json") == nil {
		return
	}
	on, _ := cmd.Flags().GetBool("json")
	if !on && !slices.Contains(args, "--json") && !slices.Contains(args, "--json=true") {
		return
	}
	b, _ := json.Marshal(struct {
		Error    string `json:"error"`
		ExitCode int    `json:"exitCode"`
	}{msg, code})
	fmt.Fprintln(cmd.OutOrStdout(), string(b))
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "thub",
		Short:         "Transfer Hub agent and CLI: move S3 objects and container images between clouds",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().String("log-format", "text", "log format on stderr: text or json")
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newS3Cmd(), newImageCmd(), newLambdaCmd(), newDeployCmd())
	return root
}
