package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"transferhub/backend/credentials"
	"transferhub/cloud/invalid"
	"transferhub/cloud/objstore"
)

// CredentialsManager is what the credentials facade needs from backend/credentials.
type CredentialsManager interface {
	List(ctx context.Context) ([]credentials.Profile, error)
	Save(ctx context.Context, p credentials.Profile, secret *credentials.Secret) (credentials.Profile, error)
	Delete(ctx context.Context, id string) error
	Test(ctx context.Context, id string) (credentials.TestResult, error)
	Path() string
}

// CredentialsView is everything the Credentials page lists. Profiles hold no secret,
// only whether one is set.
type CredentialsView struct {
	Profiles []credentials.Profile `json:"profiles"`
	File     string                `json:"file"`
	// Problem says why the keychain could not be read (secrets then show as not set);
	// empty when all is well.
	Problem string `json:"problem"`
}

// CredentialsInput is the form's content. Secret is only used when ReplaceSecret is
// true: an edit that leaves the secret fields empty keeps the stored secret.
type CredentialsInput struct {
	Profile       credentials.Profile `json:"profile"`
	Secret        credentials.Secret  `json:"secret"`
	ReplaceSecret bool                `json:"replaceSecret"`
}

// CredentialsSaveResult is either the stored profile or the fields to fix (nothing was
// stored); a failed write or keychain is an error.
type CredentialsSaveResult struct {
	Profile     credentials.Profile  `json:"profile"`
	FieldErrors []invalid.FieldError `json:"fieldErrors"`
}

// ProviderOption describes an S3-compatible provider preset for the form.
type ProviderOption struct {
	Name          string `json:"name"`
	Label         string `json:"label"`
	NeedsEndpoint bool   `json:"needsEndpoint"`
	DefaultRegion string `json:"defaultRegion"`
	// EndpointExample is the preset's endpoint for its default region ("" when the user
	// must give one).
	EndpointExample string `json:"endpointExample"`
	PathStyle       bool   `json:"pathStyle"`
}

// CredentialsFormOptions are the choices the form offers.
type CredentialsFormOptions struct {
	Partitions     []string            `json:"partitions"`
	Regions        map[string][]string `json:"regions"` // per partition
	Providers      []ProviderOption    `json:"providers"`
	SharedProfiles []string            `json:"sharedProfiles"` // AWS CLI profiles on this computer
}

var providerLabels = map[string]string{
	"aliyun-oss":    "Alibaba Cloud OSS",
	"tencent-cos":   "Tencent Cloud COS",
	"qiniu-kodo":    "Qiniu Kodo",
	"gcs":           "Google Cloud Storage (HMAC keys)",
	"cloudflare-r2": "Cloudflare R2",
	"minio":         "MinIO",
	"other":         "Other S3-compatible store",
}

// CredentialsService exposes the credential profiles to the UI. Secrets go in (Save)
// but never come back out.
type CredentialsService struct {
	runtimeContext
	mgr    CredentialsManager
	logger *slog.Logger
}

// NewCredentialsService wraps the profiles manager.
func NewCredentialsService(mgr CredentialsManager, logger *slog.Logger) *CredentialsService {
	return &CredentialsService{mgr: mgr, logger: logger}
}

// List returns the profiles sorted by name. A keychain that cannot be read is reported
// in Problem, with the profiles still listed.
func (s *CredentialsService) List() (CredentialsView, error) {
	profiles, err := s.mgr.List(s.context())
	view := CredentialsView{Profiles: profiles, File: s.mgr.Path()}
	if view.Profiles == nil {
		view.Profiles = []credentials.Profile{}
	}
	switch {
	case errors.Is(err, credentials.ErrKeychain):
		view.Problem = err.Error()
	case err != nil:
		return CredentialsView{}, fmt.Errorf("the credentials could not be listed: %w", err)
	}
	return view, nil
}

// Save validates and stores a profile (new when its id is empty). Invalid input comes
// back as field errors for the form and nothing is stored.
func (s *CredentialsService) Save(in CredentialsInput) (CredentialsSaveResult, error) {
	var secret *credentials.Secret
	if in.ReplaceSecret {
		secret = &in.Secret
	}
	saved, err := s.mgr.Save(s.context(), in.Profile, secret)
	fe, err := invalid.Fields(err)
	if err != nil {
		return CredentialsSaveResult{}, fmt.Errorf("the credentials were not saved: %w", err)
	}
	if len(fe) > 0 {
		return CredentialsSaveResult{FieldErrors: fe}, nil
	}
	return CredentialsSaveResult{Profile: saved, FieldErrors: fe}, nil
}

// Delete removes a profile and its keychain entry; a profile that tasks use is kept and
// the error names them.
func (s *CredentialsService) Delete(id string) error {
	if err := s.mgr.Delete(s.context(), id); err != nil {
		var inUse *credentials.InUseError
		if errors.As(err, &inUse) {
			return err // already says what to do
		}
		return fmt.Errorf("the credentials were not deleted: %w", err)
	}
	return nil
}

// Test checks a saved profile against its service; connection problems come back as a
// result with ok false and a message saying what to fix.
func (s *CredentialsService) Test(id string) (credentials.TestResult, error) {
	res, err := s.mgr.Test(s.context(), id)
	if err != nil {
		return credentials.TestResult{}, fmt.Errorf("the connection test could not run: %w", err)
	}
	return res, nil
}

// FormOptions lists partitions, their regions, the S3-compatible providers and the AWS
// CLI profiles found on this computer.
func (s *CredentialsService) FormOptions() CredentialsFormOptions {
	opts := CredentialsFormOptions{Partitions: credentials.Partitions(), Regions: map[string][]string{}, SharedProfiles: credentials.SharedProfiles()}
	for _, p := range opts.Partitions {
		opts.Regions[p] = credentials.Regions(p)
	}
	for _, name := range objstore.Providers() {
		if name == "aws" {
			continue // Amazon S3 is the AWS kind
		}
		prov, err := objstore.LookupProvider(name, false)
		if err != nil {
			continue
		}
		label := providerLabels[name]
		if label == "" {
			label = name
		}
		opts.Providers = append(opts.Providers, ProviderOption{
			Name: name, Label: label, NeedsEndpoint: prov.NeedsEndpoint, DefaultRegion: prov.DefaultRegion,
			EndpointExample: prov.Endpoint(prov.DefaultRegion), PathStyle: prov.PathStyle,
		})
	}
	if opts.SharedProfiles == nil {
		opts.SharedProfiles = []string{}
	}
	return opts
}

func (s *CredentialsService) name() string { return "credentials" }

func (s *CredentialsService) start(ctx context.Context) error {
	s.setContext(ctx)
	return nil
}

func (s *CredentialsService) stop(ctx context.Context) {}
