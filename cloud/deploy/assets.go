package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/regclient/regclient"

	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
	"transferhub/cloud/stack"
)

// AssetSource is where the agents come from and how the agent image reaches the
// control plane's repository.
type AssetSource struct {
	// Agents are the static linux agents (assets.Dir, assets.FS).
	Agents assets.Source
	// Registry reaches the control plane's repository and returns the repository as
	// host/path; nil: ECR of the deployer's account and Region (NewFromConfig sets it).
	Registry func(ctx context.Context, cp stack.ControlPlaneOutputs) (*regclient.RegClient, string, error)
}

// ECRRegistry reaches a control plane's repository in ECR with cfg's credentials.
// registryHost overrides the registry's host and insecure allows plain HTTP to it
// (tests: a local registry standing in for ECR's); both are empty in real use.
func ECRRegistry(cfg aws.Config, registryHost string, insecure bool) func(context.Context, stack.ControlPlaneOutputs) (*regclient.RegClient, string, error) {
	return func(ctx context.Context, cp stack.ControlPlaneOutputs) (*regclient.RegClient, string, error) {
		ec := ecr.Config{Region: cfg.Region, AWS: &cfg, RegistryHost: registryHost}
		if cfg.BaseEndpoint != nil {
			ec.Endpoint = aws.ToString(cfg.BaseEndpoint)
		}
		var access image.Access
		if insecure && registryHost != "" {
			access.InsecureHTTP = []string{registryHost}
		}
		rc, host, err := assets.ECRClient(ctx, ec, access)
		if err != nil {
			return nil, "", fmt.Errorf("reach the agent repository: %w", err)
		}
		_, path, ok := strings.Cut(cp.AgentRepositoryURI, "/")
		if !ok {
			return nil, "", fmt.Errorf("the control plane's repository %q has no path", cp.AgentRepositoryURI)
		}
		return rc, host + "/" + path, nil
	}
}
