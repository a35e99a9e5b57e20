// Command gentable writes the task table block of the task templates from
// cloud/state/dynamostore.CreateTable (run by go generate in cloud/stack).
package main

import (
	"fmt"
	"os"

	"transferhub/cloud/stack/internal/tabledef"
)

func main() {
	block, err := tabledef.Render()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gentable:", err)
		os.Exit(1)
	}
	for _, path := range os.Args[1:] {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gentable:", err)
			os.Exit(1)
		}
		out, err := tabledef.Replace(string(b), block)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gentable: %s: %v\n", path, err)
			os.Exit(1)
		}
		if out != string(b) {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "gentable:", err)
				os.Exit(1)
			}
			fmt.Println("gentable: updated", path)
		}
	}
}
