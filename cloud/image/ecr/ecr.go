// Package ecr is the Amazon ECR control plane the image engine needs: registry host
// names per partition, authorization tokens for the registry data plane, listing
// repositories and creating them on demand with the task's settings.
package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
)

// DNSSuffix is the registry DNS suffix of a region's partition: amazonaws.com.cn in
// China (cn-north-1, cn-northwest-1), amazonaws.com elsewhere (including aws-us-gov).
func DNSSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// Host is the private registry host of an account in a region,
// e.g. 123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn.
func Host(account, region string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.%s", account, region, DNSSuffix(region))
}

// ParseHost splits an ECR registry host into account and region; ok is false for
// other hosts.
func ParseHost(host string) (account, region string, ok bool) {
	parts := strings.Split(host, ".")
	if len(parts) < 6 || parts[1] != "dkr" || parts[2] != "ecr" || !accountRE.MatchString(parts[0]) {
		return "", "", false
	}
	rest := strings.Join(parts[4:], ".")
	if rest != "amazonaws.com" && rest != "amazonaws.com.cn" {
		return "", "", false
	}
	return parts[0], parts[3], true
}

// Config selects an ECR registry and how to reach its API.
type Config struct {
	Region  string
	Account string // 12 digits; empty: the caller's account (from the token's endpoint)
	// Endpoint overrides the ECR API endpoint (tests: the AWS emulator). The SDK's own
	// AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL variables work too.
	Endpoint string
	// RegistryHost overrides the registry data-plane host (tests: a local registry).
	RegistryHost string
	// AWS is a ready SDK config (credentials chain, profile); nil loads the default one.
	AWS *aws.Config
}

// Validate checks the region and account format.
func (c Config) Validate() error {
	if !regionRE.MatchString(c.Region) {
		return fmt.Errorf("invalid ECR region %q (e.g. us-east-1, cn-north-1, us-gov-west-1)", c.Region)
	}
	if c.Account != "" && !accountRE.MatchString(c.Account) {
		return fmt.Errorf("invalid AWS account id %q: 12 digits expected", c.Account)
	}
	return nil
}

// Client talks to one ECR registry's API.
type Client struct {
	api     *ecr.Client
	cfg     Config
	account string // resolved lazily from the token endpoint when not given
	host    string
}

// New builds a client. It does not call AWS.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var ac aws.Config
	if cfg.AWS != nil {
		ac = cfg.AWS.Copy()
	} else {
		var err error
		ac, err = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
		if err != nil {
			return nil, fmt.Errorf("load AWS configuration: %w", err)
		}
	}
	ac.Region = cfg.Region
	api := ecr.NewFromConfig(ac, func(o *ecr.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	c := &Client{api: api, cfg: cfg, account: cfg.Account}
	if cfg.Account != "" {
		c.host = Host(cfg.Account, cfg.Region)
	}
	if cfg.RegistryHost != "" {
		c.host = cfg.RegistryHost
	}
	return c, nil
}

// Token is a registry credential from GetAuthorizationToken.
type Token struct {
	User, Password string
	Expires        time.Time
}

// Token fetches a registry credential. It also learns the account id (and so the
// registry host) when none was configured.
func (c *Client) Token(ctx context.Context) (Token, error) {
	// No RegistryIds: a token opens every registry the principal may use (the field is
	// deprecated); the host comes from the configured account or the token's endpoint.
	out, err := c.api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Token{}, fmt.Errorf("ECR GetAuthorizationToken in %s: %w", c.cfg.Region, err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return Token{}, fmt.Errorf("ECR GetAuthorizationToken in %s: no authorization data returned", c.cfg.Region)
	}
	ad := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(ad.AuthorizationToken))
	if err != nil {
		return Token{}, fmt.Errorf("ECR authorization token in %s: not base64: %w", c.cfg.Region, err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Token{}, fmt.Errorf("ECR authorization token in %s: not user:password", c.cfg.Region)
	}
	if c.account == "" && ad.ProxyEndpoint != nil {
		if u, err := url.Parse(*ad.ProxyEndpoint); err == nil {
			if acct, _, ok := ParseHost(u.Hostname()); ok {
				c.account = acct
				if c.host == "" {
					c.host = Host(acct, c.cfg.Region)
				}
			}
		}
	}
	return Token{User: user, Password: pass, Expires: aws.ToTime(ad.ExpiresAt)}, nil
}

// RegistryHost is the data-plane host; it needs the account, so it may call Token.
func (c *Client) RegistryHost(ctx context.Context) (string, error) {
	if c.host != "" {
		return c.host, nil
	}
	if _, err := c.Token(ctx); err != nil {
		return "", err
	}
	if c.host == "" {
		return "", fmt.Errorf("ECR in %s: cannot tell the registry account; pass the account id", c.cfg.Region)
	}
	return c.host, nil
}

// Region is the client's region.
func (c *Client) Region() string { return c.cfg.Region }

// ListRepositories returns every repository name the filter accepts, in API order.
func (c *Client) ListRepositories(ctx context.Context, keep func(name string) bool) ([]string, error) {
	in := &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(1000)}
	if c.cfg.Account != "" {
		in.RegistryId = aws.String(c.cfg.Account)
	}
	var out []string
	p := ecr.NewDescribeRepositoriesPaginator(c.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ECR DescribeRepositories in %s: %w", c.cfg.Region, err)
		}
		for _, r := range page.Repositories {
			name := aws.ToString(r.RepositoryName)
			if keep == nil || keep(name) {
				out = append(out, name)
			}
		}
	}
	return out, nil
}

// RepoSettings are applied when a destination repository is created.
type RepoSettings struct {
	ScanOnPush bool   `json:"scanOnPush,omitempty"`
	Immutable  bool   `json:"immutable,omitempty"` // tag mutability IMMUTABLE
	KMSKey     string `json:"kmsKey,omitempty"`    // KMS key ARN/id: KMS encryption; empty: AES256
}

// EnsureRepository creates the repository unless it exists (existing repositories
// keep their settings). created reports whether it was made now.
func (c *Client) EnsureRepository(ctx context.Context, name string, s RepoSettings) (created bool, err error) {
	in := &ecr.CreateRepositoryInput{
		RepositoryName:             aws.String(name),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: s.ScanOnPush},
		ImageTagMutability:         types.ImageTagMutabilityMutable,
	}
	if s.Immutable {
		in.ImageTagMutability = types.ImageTagMutabilityImmutable
	}
	if s.KMSKey != "" {
		in.EncryptionConfiguration = &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeKms, KmsKey: aws.String(s.KMSKey)}
	}
	if c.cfg.Account != "" {
		in.RegistryId = aws.String(c.cfg.Account)
	}
	_, err = c.api.CreateRepository(ctx, in)
	var exists *types.RepositoryAlreadyExistsException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exists):
		return false, nil
	}
	return false, fmt.Errorf("ECR CreateRepository %s in %s: %w", name, c.cfg.Region, err)
}

// Describe returns a repository's settings (tests and pre-flight checks).
func (c *Client) Describe(ctx context.Context, name string) (types.Repository, error) {
	in := &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}}
	if c.cfg.Account != "" {
		in.RegistryId = aws.String(c.cfg.Account)
	}
	out, err := c.api.DescribeRepositories(ctx, in)
	if err != nil {
		return types.Repository{}, fmt.Errorf("ECR DescribeRepositories %s in %s: %w", name, c.cfg.Region, err)
	}
	if len(out.Repositories) == 0 {
		return types.Repository{}, fmt.Errorf("ECR repository %s in %s: not found", name, c.cfg.Region)
	}
	return out.Repositories[0], nil
}
