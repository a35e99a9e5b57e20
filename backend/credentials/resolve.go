package credentials

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"transferhub/cloud/image"
	"transferhub/cloud/objstore"
)

// ForS3 says whether the profile can be one side of an S3 transfer.
func (p Profile) ForS3() bool { return p.Kind == KindAWS || p.Kind == KindS3Compatible }

// ForRegistry says whether the profile holds a registry login. (An AWS profile reaches
// ECR through AWSConfig instead.)
func (p Profile) ForRegistry() bool { return p.Kind == KindRegistry }

// S3Config fills the S3 engine's connection settings: provider, region, endpoint,
// addressing and credentials (keys, or a shared-config profile, plus a role to assume).
// Transfer options (storage class, concurrency, ...) are left for the caller. Only
// meaningful when ForS3 is true; a registry profile gives a config with
// Provider "registry-profile-is-not-s3", which objstore.OpenS3 rejects, so a mix-up
// fails loudly instead of falling back to the default credential chain.
func (r Resolved) S3Config() objstore.S3Config {
	switch r.Kind {
	case KindAWS:
		c := objstore.S3Config{
			Provider: "aws",
			// the profile's region picks the partition; a bucket elsewhere in it is found
			DefaultRegion: r.Region,
			Profile:       r.SharedProfile,
			RoleARN:       r.RoleARN,
			ExternalID:    r.ExternalID,
		}
		if r.SharedProfile == "" {
			c.AccessKey, c.SecretKey, c.SessionToken = r.AccessKeyID, r.Secret.SecretAccessKey, r.Secret.SessionToken
		}
		return c
	case KindS3Compatible:
		c := objstore.S3Config{
			Provider:  r.Provider,
			Region:    r.Region,
			Endpoint:  r.Endpoint,
			AccessKey: r.AccessKeyID,
			SecretKey: r.Secret.SecretAccessKey,
		}
		if r.PathStyle {
			c.PathStyle = "path"
		}
		return c
	default:
		return objstore.S3Config{Provider: "registry-profile-is-not-s3"}
	}
}

// RegistryAccess gives the image engine's view of a registry profile: the host, the
// login, whether the host speaks plain HTTP and an extra CA file ("" for none). Use
// AddTo to merge several profiles into one image.Access.
func (r Resolved) RegistryAccess() (host string, cred image.Cred, insecureHTTP bool, caFile string) {
	return r.Host, image.Cred{User: r.Username, Password: r.Secret.Password}, r.InsecureHTTP, r.CAFile
}

// AddTo adds a registry profile's host settings and login to a (possibly shared)
// image.Access; other kinds leave it unchanged.
func (r Resolved) AddTo(a *image.Access) {
	if r.Kind != KindRegistry {
		return
	}
	host, cred, insecure, ca := r.RegistryAccess()
	if a.Creds == nil {
		a.Creds = map[string]image.Cred{}
	}
	a.Creds[host] = cred
	if insecure {
		a.InsecureHTTP = append(a.InsecureHTTP, host)
	}
	if ca != "" {
		a.CAFiles = append(a.CAFiles, ca)
	}
}

// AWSConfig builds an SDK config for an AWS profile (for STS, ECR, ...): region, keys or
// shared-config profile (SSO included), and the role to assume when one is set. The
// SDK's AWS_ENDPOINT_URL* variables and endpoint_url settings apply as usual.
func (r Resolved) AWSConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	if r.Kind != KindAWS {
		return aws.Config{}, fmt.Errorf("credentials %q are for %s, not AWS", r.Name, r.Kind)
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(r.Region)}
	if r.SharedProfile != "" {
		opts = append(opts, config.WithSharedConfigProfile(r.SharedProfile))
	} else {
		opts = append(opts, config.WithCredentialsProvider(
			awscreds.NewStaticCredentialsProvider(r.AccessKeyID, r.Secret.SecretAccessKey, r.Secret.SessionToken)))
	}
	opts = append(opts, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load the AWS configuration for %q: %w", r.Name, err)
	}
	if r.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg)
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, r.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "transfer-hub"
			if r.ExternalID != "" {
				o.ExternalID = aws.String(r.ExternalID)
			}
		}))
	}
	return cfg, nil
}
