package assets

import (
	"context"
	"fmt"
	"strings"

	"github.com/regclient/regclient"

	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
)

// ECRClient is a registry client for the control plane's repository: ECR tokens from
// GetAuthorizationToken with cfg's credentials, renewed before they expire. It returns
// the registry host the repository URI starts with (cfg.RegistryHost when set: tests).
func ECRClient(ctx context.Context, cfg ecr.Config, access image.Access) (*regclient.RegClient, string, error) {
	api, err := ecr.New(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	host, err := api.RegistryHost(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("the control plane's registry: %w", err)
	}
	access.NoDockerConfig = true
	c, err := image.NewClient(access, nil)
	if err != nil {
		return nil, "", err
	}
	c.AddTokenSource(host, api)
	rc, err := c.RegClient(ctx)
	if err != nil {
		return nil, "", err
	}
	return rc, strings.TrimSuffix(host, "/"), nil
}
