package main

import "github.com/spf13/cobra"

// newImageCmd is owned by the image engine (issue 4); placeholder until it lands.
func newImageCmd() *cobra.Command {
	return &cobra.Command{Use: "image", Short: "Container image transfers"}
}
