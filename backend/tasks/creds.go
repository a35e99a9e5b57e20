package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"transferhub/backend/credentials"
	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
	"transferhub/cloud/objstore"
)

// Credentials is what the task runner needs from backend/credentials (its Manager):
// profile metadata for validation, and a profile with its secret when a run starts.
// Both return an error wrapping credentials.ErrProfileNotFound for an unknown id.
type Credentials interface {
	Get(ctx context.Context, id string) (credentials.Profile, error)
	Resolve(ctx context.Context, id string) (credentials.Resolved, error)
}

// resolve fetches a profile with its secret for one side of a task, with an error that
// says which side and what to do.
func (m *Manager) resolve(ctx context.Context, id, side string) (credentials.Resolved, error) {
	if m.creds == nil {
		return credentials.Resolved{}, fmt.Errorf("%s: credential profiles are not available in this app", side)
	}
	r, err := m.creds.Resolve(ctx, id)
	if errors.Is(err, ErrProfileNotFound) {
		return r, fmt.Errorf("%s: its credential profile was deleted; clone the task and choose other credentials", side)
	}
	if err != nil {
		return r, fmt.Errorf("%s: read the credentials: %w", side, err)
	}
	return r, nil
}

// s3Config is the engine's connection settings for a resolved AWS or S3-compatible
// profile; region overrides the profile's default region.
func s3Config(r credentials.Resolved, region string) (objstore.S3Config, error) {
	if !r.ForS3() {
		return objstore.S3Config{}, fmt.Errorf("profile %q is a %s profile; S3 locations need an AWS or S3-compatible profile", r.Name, r.Kind)
	}
	c := r.S3Config()
	if region != "" {
		c.Region = region
	}
	if c.Profile == "" && c.SecretKey == "" {
		return c, fmt.Errorf("profile %q has no secret access key in the keychain; set it under Credentials", r.Name)
	}
	return c, nil
}

// awsConfig is the SDK configuration of an AWS profile (ECR) in region ("" = the profile's).
func awsConfig(ctx context.Context, r credentials.Resolved, region string) (aws.Config, error) {
	if r.Kind != credentials.KindAWS {
		return aws.Config{}, fmt.Errorf("profile %q is not an AWS profile; Amazon ECR needs AWS credentials", r.Name)
	}
	if r.SharedProfile == "" && r.Secret.SecretAccessKey == "" {
		return aws.Config{}, fmt.Errorf("profile %q has no secret access key in the keychain; set it under Credentials", r.Name)
	}
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	return r.AWSConfig(ctx, opts...)
}

// addRegistry adds a registry profile's access (login, plain HTTP, extra CA) for its host.
func addRegistry(a *image.Access, r credentials.Resolved) error {
	if !r.ForRegistry() {
		return fmt.Errorf("profile %q is not a container registry profile", r.Name)
	}
	if r.Host == "" {
		return fmt.Errorf("profile %q names no registry host; edit it under Credentials", r.Name)
	}
	r.AddTo(a)
	return nil
}

// imageSetup resolves an image task's profiles into the engine configuration and the
// parts of the spec that do not depend on the engine (sources are parsed once the
// source registry is known: see sources).
type imageSetup struct {
	cfg     image.Config
	srcHost string // registry the references are relative to ("" = full references)
	dstHost string // destination registry host (not for ECR)
}

func (m *Manager) imageConfig(ctx context.Context, s ImageSpec) (imageSetup, error) {
	set := imageSetup{cfg: image.Config{Access: image.Access{Creds: map[string]image.Cred{}, NoDockerConfig: true}}}
	acc := &set.cfg.Access
	switch s.Source.Kind {
	case ECRKind:
		r, err := m.resolve(ctx, s.Source.ProfileID, "source")
		if err != nil {
			return set, err
		}
		ac, err := awsConfig(ctx, r, s.Source.Region)
		if err != nil {
			return set, fmt.Errorf("source: %w", err)
		}
		set.cfg.SourceECR = &ecr.Config{Region: ac.Region, Account: s.Source.Account, AWS: &ac}
	default:
		if s.Source.ProfileID != "" {
			r, err := m.resolve(ctx, s.Source.ProfileID, "source")
			if err != nil {
				return set, err
			}
			if err := addRegistry(acc, r); err != nil {
				return set, fmt.Errorf("source: %w", err)
			}
			set.srcHost = r.Host
		}
	}
	switch s.Destination.Kind {
	case ECRKind:
		r, err := m.resolve(ctx, s.Destination.ProfileID, "destination")
		if err != nil {
			return set, err
		}
		ac, err := awsConfig(ctx, r, s.Destination.Region)
		if err != nil {
			return set, fmt.Errorf("destination: %w", err)
		}
		set.cfg.DestECR = &ecr.Config{Region: ac.Region, Account: s.Destination.Account, AWS: &ac}
		set.cfg.ECRRepo = ecr.RepoSettings{ScanOnPush: s.Destination.ScanOnPush, Immutable: s.Destination.ImmutableTags, KMSKey: s.Destination.KMSKey}
	default:
		if s.Destination.ProfileID != "" {
			r, err := m.resolve(ctx, s.Destination.ProfileID, "destination")
			if err != nil {
				return set, err
			}
			if err := addRegistry(acc, r); err != nil {
				return set, fmt.Errorf("destination: %w", err)
			}
			set.dstHost = r.Host
		} else {
			set.dstHost = s.Destination.Registry
		}
	}
	return set, nil
}

// imageSpec builds the engine's spec once the engine knows the ECR hosts.
func imageSpec(s ImageSpec, set imageSetup, eng *image.Engine) (image.Spec, error) {
	srcDefault := set.srcHost
	if s.Source.Kind == ECRKind {
		srcDefault = eng.SourceRegistry()
	}
	spec := image.Spec{
		RepoPrefix: s.Source.RepoPrefix, RepoRegex: s.Source.RepoRegex,
		Tags: image.TagFilter{Include: s.TagInclude, Exclude: s.TagExclude, Semver: s.Semver, Latest: s.Latest},
		Copy: image.CopyOptions{Platforms: s.Platforms, Referrers: s.Referrers},
	}
	for _, r := range s.Source.References {
		src, err := image.ParseSource(r, srcDefault)
		if err != nil {
			return spec, fmt.Errorf("source: %w", err)
		}
		spec.Sources = append(spec.Sources, src)
	}
	if s.Destination.Kind == ECRKind {
		spec.Destination = image.Destination{Prefix: s.Destination.Prefix}
	} else {
		d := set.dstHost
		if s.Destination.Prefix != "" {
			d += "/" + s.Destination.Prefix
		}
		dst, err := image.ParseDestination(d)
		if err != nil {
			return spec, fmt.Errorf("destination: %w", err)
		}
		spec.Destination = dst
	}
	if err := eng.Validate(spec); err != nil {
		return spec, err
	}
	return spec, nil
}
