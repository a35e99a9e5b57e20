package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	// Progress gets the uploads' progress (bytes of each asset, then finished or
	// skipped).
	Progress func(assets.Event)
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

// localAssets computes what an upload of src would give, without uploading: the
// agents' and the Lambda zip's SHA-256 and the image's digest in repo.
func localAssets(src assets.Source, repo string) (stack.AgentAssets, error) {
	agents := map[string][]byte{}
	for _, arch := range assets.Arches {
		b, err := assets.ReadAgent(src, arch)
		if err != nil {
			return stack.AgentAssets{}, err
		}
		agents[arch] = b
	}
	zip, err := assets.LambdaZip(agents["arm64"])
	if err != nil {
		return stack.AgentAssets{}, err
	}
	img, err := assets.BuildImage(agents)
	if err != nil {
		return stack.AgentAssets{}, err
	}
	return stack.AgentAssets{Image: repo + "@" + img.Index.Desc.Digest.String(), Arm64SHA256: sha(agents["arm64"]),
		Amd64SHA256: sha(agents["amd64"]), LambdaSHA256: sha(zip)}, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
