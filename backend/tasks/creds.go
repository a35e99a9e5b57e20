package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"transferhub/backend/credentials"
	"transferhub/cloud/image"
	"transferhub/cloud/objstore"
	"transferhub/cloud/spec"
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
func (m *engines) resolve(ctx context.Context, id, side string) (credentials.Resolved, error) {
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
// profile (the side's region, when it has one, is laid over it by cloud/spec).
func s3Config(r credentials.Resolved) (objstore.S3Config, error) {
	if !r.ForS3() {
		return objstore.S3Config{}, fmt.Errorf("profile %q is a %s profile; S3 locations need an AWS or S3-compatible profile", r.Name, r.Kind)
	}
	c := r.S3Config()
	if c.Profile == "" && c.SecretKey == "" {
		return c, fmt.Errorf("profile %q has no secret access key in the keychain; set it under Credentials", r.Name)
	}
	return c, nil
}

// profileAccess reaches the bucket sides of an S3 task through their credential
// profiles, keys read from the keychain when a run starts (spec.Credentials).
type profileAccess struct {
	m        *engines
	src, dst string // profile ids
}

func (p profileAccess) S3Config(ctx context.Context, role spec.Role, _ spec.Side) (objstore.S3Config, error) {
	id := p.src
	if role == spec.RoleDestination {
		id = p.dst
	}
	r, err := p.m.resolve(ctx, id, string(role))
	if err != nil {
		return objstore.S3Config{}, err
	}
	c, err := s3Config(r)
	if err != nil {
		return c, fmt.Errorf("%s: %w", role, err)
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

// imageSetup is an image task's engine configuration with its profiles resolved, and
// the spec they complete (the registry hosts the profiles name, the ECR regions).
type imageSetup struct {
	cfg image.Config
	im  spec.Image
}

func (m *engines) imageConfig(ctx context.Context, s ImageSpec) (imageSetup, error) {
	im := s.Spec()
	im.NoDockerConfig = true // the app's registries are reached through its profiles only
	acc := image.Access{Creds: map[string]image.Cred{}}
	src, err := m.imageSide(ctx, "source", s.Source.Kind, s.Source.ProfileID, s.Source.Region, &acc)
	if err != nil {
		return imageSetup{}, err
	}
	dst, err := m.imageSide(ctx, "destination", s.Destination.Kind, s.Destination.ProfileID, s.Destination.Region, &acc)
	if err != nil {
		return imageSetup{}, err
	}
	src.complete(&im.Source.Region, &im.Source.Registry)
	dst.complete(&im.Destination.Region, &im.Destination.Registry)
	cfg := im.EngineConfig(nil)
	cfg.Access.Creds, cfg.Access.InsecureHTTP, cfg.Access.CAFiles = acc.Creds, acc.InsecureHTTP, acc.CAFiles
	if cfg.SourceECR != nil {
		cfg.SourceECR.AWS = src.aws
	}
	if cfg.DestECR != nil {
		cfg.DestECR.AWS = dst.aws
	}
	return imageSetup{cfg: cfg, im: im}, nil
}

// sideAccess is how one side of an image task is reached through its profile.
type sideAccess struct {
	aws  *aws.Config // an ECR side's AWS configuration (its region resolved)
	host string      // a registry side's host, from its profile ("" = none)
}

// complete lays what the profile says over the side's region and registry.
func (a sideAccess) complete(region, registry *string) {
	if a.aws != nil {
		*region = a.aws.Region
	}
	if a.host != "" {
		*registry = a.host
	}
}

// imageSide resolves the profile of one side (role: source or destination): an ECR
// side's AWS configuration in region, or a registry profile's login, added to acc.
func (m *engines) imageSide(ctx context.Context, role, kind, profileID, region string, acc *image.Access) (sideAccess, error) {
	if kind != ECRKind && profileID == "" {
		return sideAccess{}, nil // an anonymous registry
	}
	r, err := m.resolve(ctx, profileID, role)
	if err != nil {
		return sideAccess{}, err
	}
	if kind == ECRKind {
		ac, err := awsConfig(ctx, r, region)
		if err != nil {
			return sideAccess{}, fmt.Errorf("%s: %w", role, err)
		}
		return sideAccess{aws: &ac}, nil
	}
	if err := addRegistry(acc, r); err != nil {
		return sideAccess{}, fmt.Errorf("%s: %w", role, err)
	}
	return sideAccess{host: r.Host}, nil
}

// imageSpec builds the engine's spec once the engine knows the ECR hosts.
func imageSpec(set imageSetup, eng *image.Engine) (image.Spec, error) {
	es, err := set.im.EngineSpec()
	if err != nil {
		return es, fmt.Errorf("source: %w", err)
	}
	spec.ResolveECR(&es, eng.SourceRegistry())
	if err := eng.Validate(es); err != nil {
		return es, err
	}
	return es, nil
}
