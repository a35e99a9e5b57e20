package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/assets"
)

func newDeployCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy Transfer Hub into an AWS account: a control plane, then cloud tasks",
		Long: `Deploy Transfer Hub's stacks into the AWS account and Region of the standard AWS
configuration (AWS_PROFILE or --profile, SSO included; AWS_REGION or --region;
AWS_ENDPOINT_URL): first the control plane (once per account and Region), then one
stack per cloud task. Every create and update shows its change set (--dry-run shows
only that), then follows the stack resource by resource. See cloud/docs/deploy.md.`,
	}
	c.AddCommand(newDeployControlPlaneCmd(), newDeployS3TaskCmd(), newDeployImageTaskCmd(), newDeployListCmd(),
		newDeployStatusCmd(), newDeployDeleteCmd(), newDeployUpgradeCmd(), newDeployCheckCmd())
	return c
}

// awsFlags are the account and Region every deploy command works in, and how it
// shows what it does.
type awsFlags struct {
	profile, region string
	controlPlane    string
	jsonOut         bool
	noProgress      bool
	// test plumbing (hidden): the AWS emulator and a local registry for the image
	emulator         bool
	registryHost     string
	registryInsecure bool
	poll             time.Duration
}

func (f *awsFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile to deploy with (default: AWS_PROFILE or the default chain; SSO works)")
	fs.StringVar(&f.region, "region", "", "AWS Region to deploy to (default: AWS_REGION or the profile's)")
	fs.StringVar(&f.controlPlane, "control-plane", deploy.DefaultControlPlane, "name of the control plane (its stack is <name>-control-plane)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the result as one JSON document on stdout (progress goes to stderr)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "plain progress lines even on a terminal")
	fs.BoolVar(&f.emulator, "emulator", false, "the AWS endpoint is the AWS emulator (tests)")
	fs.StringVar(&f.registryHost, "registry-host", "", "registry host standing in for ECR's (tests)")
	fs.BoolVar(&f.registryInsecure, "registry-insecure", false, "plain HTTP to --registry-host (tests)")
	fs.DurationVar(&f.poll, "poll", 2*time.Second, "first wait between two looks at a stack")
	for _, h := range []string{"emulator", "registry-host", "registry-insecure", "poll"} {
		_ = fs.MarkHidden(h)
	}
}

// deployer builds the deployer from the standard AWS configuration.
func (f *awsFlags) deployer(ctx context.Context, agents string) (*deploy.Deployer, error) {
	var opts []func(*config.LoadOptions) error
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, usageError{errors.New("no AWS Region: give --region or set AWS_REGION (or a region in the profile)")}
	}
	d := deploy.New(deploy.NewClients(cfg), cfg.Region)
	d.Emulator = f.emulator
	if f.poll > 0 {
		d.Poll = f.poll
	}
	d.Assets.Registry = deploy.ECRRegistry(cfg, f.registryHost, f.registryInsecure)
	if agents != "" {
		d.Assets.Agents = assets.Dir(agents)
	}
	return d, nil
}

// defaultAgents is where the linux agents are looked for: next to this executable
// (a release ships them there), else build/bin (make build-thub).
func defaultAgents() string {
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		if _, err := os.Stat(filepath.Join(dir, "thub-linux-arm64")); err == nil {
			return dir
		}
	}
	return filepath.Join("build", "bin")
}

// terminal tells whether progress may redraw a line.
func (f *awsFlags) terminal() bool {
	return !f.noProgress && term.IsTerminal(int(os.Stderr.Fd()))
}

// printJSON writes v as one JSON document.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
