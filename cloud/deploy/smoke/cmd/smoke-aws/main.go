// Command smoke-aws is the manual smoke test of a real AWS account (`make smoke-aws`):
// it deploys a control plane and a tiny S3 task, runs it, checks the copies and deletes
// everything, printing what it created and what it removed. It uses the standard AWS
// configuration (AWS_PROFILE, SSO, AWS_REGION). See cloud/docs/deploy.md, "Smoke test".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"transferhub/cloud/deploy/smoke"
)

func main() {
	var o smoke.Options
	flag.StringVar(&o.Agents, "agents", "build/bin", "directory with thub-linux-arm64 and thub-linux-amd64 (make build-thub)")
	flag.StringVar(&o.Name, "name", "", "name of the control plane and prefix of everything made (default thub-smoke-<random>)")
	flag.IntVar(&o.Objects, "objects", 12, "objects to copy")
	flag.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "how long the run may take")
	flag.BoolVar(&o.Keep, "keep", false, "leave everything in place (says how to delete it)")
	flag.BoolVar(&o.Emulator, "emulator", false, "rehearse against the AWS emulator (AWS_ENDPOINT_URL) with the compute harness")
	flag.StringVar(&o.RegistryHost, "registry-host", "", "registry standing in for ECR's (rehearsal)")
	flag.BoolVar(&o.RegistryInsecure, "registry-insecure", false, "plain HTTP to -registry-host (rehearsal)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke-aws: AWS configuration:", err)
		os.Exit(2)
	}
	if cfg.Region == "" {
		fmt.Fprintln(os.Stderr, "smoke-aws: no Region: set AWS_REGION (or the profile's region)")
		os.Exit(2)
	}
	if cfg.BaseEndpoint != nil && !o.Emulator {
		fmt.Fprintf(os.Stderr, "smoke-aws: AWS_ENDPOINT_URL is %s: this is the smoke test of a real account (use -emulator to rehearse)\n", *cfg.BaseEndpoint)
		os.Exit(2)
	}
	o.AWS, o.Out = cfg, os.Stdout
	rep, err := smoke.Run(ctx, o)
	fmt.Printf("\ncreated (%d):\n", len(rep.Created))
	for _, c := range rep.Created {
		fmt.Println("  " + c)
	}
	fmt.Printf("removed (%d):\n", len(rep.Removed))
	for _, r := range rep.Removed {
		fmt.Println("  " + r)
	}
	if len(rep.Left) > 0 {
		fmt.Printf("left (%d):\n", len(rep.Left))
		for _, l := range rep.Left {
			fmt.Println("  " + l)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke-aws: FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("smoke-aws: passed")
}
