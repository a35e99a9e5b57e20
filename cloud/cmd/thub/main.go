// Command thub is Transfer Hub's agent and CLI: one static binary that runs the S3 and
// image engines on this computer (`thub s3 sync`, `thub image sync`) and, in the cloud,
// as finder, worker, copier and Lambda handler processes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
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
	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "thub:", err)
		os.Exit(2)
	}
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
