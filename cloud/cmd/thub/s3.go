package main

import "github.com/spf13/cobra"

// newS3Cmd is owned by the S3 engine (issue 3); placeholder until it lands.
func newS3Cmd() *cobra.Command {
	return &cobra.Command{Use: "s3", Short: "S3 object transfers"}
}
