// Package cloudaccess reaches an AWS account and Region through one of the app's AWS
// credential profiles: the SDK configuration (every request counted against the call
// budget of its context, backend/callbudget), the deployer of cloud/deploy with the
// agents this app carries, and the clients the cloud runner and the Deployments page
// read with. Accounts are built once and kept for a while, so a page that refreshes
// does not ask the keychain each time.
package cloudaccess

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"transferhub/backend/callbudget"
	"transferhub/backend/credentials"
	"transferhub/cloud/deploy"
	"transferhub/cloud/deploy/assets"
)

// Credentials resolve an AWS profile with its secret (backend/credentials.Manager).
type Credentials interface {
	Get(ctx context.Context, id string) (credentials.Profile, error)
	Resolve(ctx context.Context, id string) (credentials.Resolved, error)
}

// ErrNoAgents: this build of the app carries no agents, so it cannot deploy.
var ErrNoAgents = errors.New("this build of Transfer Hub carries no agents (thub for linux/arm64 and linux/amd64), so it cannot deploy; build the app with `make build-desktop`, which builds the agents first and embeds them")

// Options build an Access.
type Options struct {
	Credentials Credentials
	// Agents are the linux agents the app carries (nil, or missing files: none).
	Agents assets.Source
	// Config builds a profile's SDK configuration in a Region (tests: the AWS
	// emulator); nil: the profile's own (credentials.Resolved.AWSConfig).
	Config func(ctx context.Context, profileID, region string) (aws.Config, error)
	// Emulator: the AWS APIs are the AWS emulator (deploy.Deployer.Emulator). Tests and
	// the desktop's end-to-end tests only.
	Emulator bool
	// EmulatorEndpoint, when set, limits Emulator to the accounts whose SDK
	// configuration's base endpoint is this URL (the desktop's end-to-end tests reach
	// the emulator and the replaying CloudFormation fake through two profiles).
	EmulatorEndpoint string
	// RegistryHost stands in for ECR's registry host (plain HTTP when RegistryInsecure):
	// the emulator's ECR has no registry. Tests only.
	RegistryHost     string
	RegistryInsecure bool
	// Poll is the deployer's first wait between two looks at a stack (0: its default).
	Poll   time.Duration
	Logger *slog.Logger
	// TTL is how long an account is kept (0: 10 minutes).
	TTL time.Duration
	Now func() time.Time
}

// Access keeps the accounts the app reaches.
type Access struct {
	opt Options

	mu       sync.Mutex
	accounts map[key]*Account
}

type key struct{ profile, region string }

// Account is an AWS account and Region reached through a profile.
type Account struct {
	ProfileID string
	Region    string
	// Config is the SDK configuration (callbudget.Install'ed).
	Config   aws.Config
	Deployer *deploy.Deployer
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	EC2      *ec2.Client
	built    time.Time
}

// New returns an Access.
func New(opt Options) *Access {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.TTL <= 0 {
		opt.TTL = 10 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Access{opt: opt, accounts: map[key]*Account{}}
}

// HasAgents tells whether the app carries both linux agents.
func (a *Access) HasAgents() bool {
	if a.opt.Agents == nil {
		return false
	}
	for _, arch := range assets.Arches {
		r, err := a.opt.Agents.Agent(arch)
		if err != nil {
			return false
		}
		n, err := io.CopyN(io.Discard, r, 1)
		r.Close()
		if err != nil || n == 0 {
			return false // the placeholder directory of a build without agents
		}
	}
	return true
}

// CheckAgents is ErrNoAgents when the app cannot deploy.
func (a *Access) CheckAgents() error {
	if !a.HasAgents() {
		return ErrNoAgents
	}
	return nil
}

// Account returns the account of a profile in a Region ("" Region: the profile's).
func (a *Access) Account(ctx context.Context, profileID, region string) (*Account, error) {
	if profileID == "" {
		return nil, errors.New("no AWS credential profile chosen for the account")
	}
	if region == "" {
		p, err := a.opt.Credentials.Get(ctx, profileID)
		if err != nil {
			return nil, fmt.Errorf("the AWS profile: %w", err)
		}
		if region = p.Region; region == "" {
			return nil, fmt.Errorf("the AWS profile %q has no default Region: choose one", p.Name)
		}
	}
	k := key{profileID, region}
	now := a.opt.Now()
	a.mu.Lock()
	acct := a.accounts[k]
	a.mu.Unlock()
	if acct != nil && now.Sub(acct.built) < a.opt.TTL {
		return acct, nil
	}
	cfg, err := a.config(ctx, profileID, region)
	if err != nil {
		return nil, err
	}
	callbudget.Install(&cfg)
	d := deploy.New(deploy.NewClients(cfg), region)
	d.Emulator = a.opt.Emulator && (a.opt.EmulatorEndpoint == "" || aws.ToString(cfg.BaseEndpoint) == a.opt.EmulatorEndpoint)
	d.Log = a.opt.Logger
	if a.opt.Poll > 0 {
		d.Poll = a.opt.Poll
		d.MaxPoll = max(d.Poll, 5*a.opt.Poll)
	}
	d.Assets = deploy.AssetSource{Registry: deploy.ECRRegistry(cfg, a.opt.RegistryHost, a.opt.RegistryInsecure)}
	if a.HasAgents() {
		d.Assets.Agents = a.opt.Agents
	}
	acct = &Account{ProfileID: profileID, Region: region, Config: cfg, Deployer: d, DynamoDB: dynamodb.NewFromConfig(cfg),
		SQS: sqs.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), built: now}
	a.mu.Lock()
	a.accounts[k] = acct
	a.mu.Unlock()
	return acct, nil
}

// Forget drops the accounts of a profile (its keys changed).
func (a *Access) Forget(profileID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.accounts {
		if k.profile == profileID {
			delete(a.accounts, k)
		}
	}
}

func (a *Access) config(ctx context.Context, profileID, region string) (aws.Config, error) {
	if a.opt.Config != nil {
		return a.opt.Config(ctx, profileID, region)
	}
	r, err := a.opt.Credentials.Resolve(ctx, profileID)
	if err != nil {
		return aws.Config{}, fmt.Errorf("the AWS profile: %w", err)
	}
	if r.Kind != credentials.KindAWS {
		return aws.Config{}, fmt.Errorf("%q is not an AWS profile", r.Name)
	}
	r.Region = region
	return r.AWSConfig(ctx)
}

// Profile returns a profile's metadata.
func (a *Access) Profile(ctx context.Context, id string) (credentials.Profile, error) {
	return a.opt.Credentials.Get(ctx, id)
}
