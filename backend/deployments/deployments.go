// Package deployments is the desktop's view of what Transfer Hub deployed into AWS
// accounts: control planes and task stacks per account (an AWS credential profile of
// the app) and Region, with their status, version and last update; deploying a
// control plane through its change set's preview with live progress, deleting a
// creation that failed to retry it, upgrading to the agent this app carries, removing
// with the choice to keep the data, and the pre-flight check of what the identity
// lacks. It works through cloud/deploy, as `thub deploy` does.
package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"transferhub/backend/atomicfile"
	"transferhub/backend/cloudaccess"
	"transferhub/backend/credentials"
	"transferhub/backend/stackop"
	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/stack"
	"transferhub/cloud/version"
)

// Profiles lists the app's credential profiles (backend/credentials.Manager).
type Profiles interface {
	List(ctx context.Context) ([]credentials.Profile, error)
}

// Tasks is what the page asks of the task model: the accounts and Regions of its
// cloud tasks, and adding the cloud tasks found in control planes' registries.
type Tasks interface {
	Placements(ctx context.Context) []tasks.Placement
	Discover(ctx context.Context, places []tasks.Placement) (int, error)
}

// Emitter sends an event to the UI.
type Emitter func(name string, data any)

// EventOperation carries an Operation each time it moves.
const EventOperation = "deployments:operation"

// Options build a Service.
type Options struct {
	Access   *cloudaccess.Access
	Profiles Profiles
	Tasks    Tasks // nil: no task model (tests)
	// File keeps the Regions looked at or deployed to per profile.
	File   string
	Logger *slog.Logger
	Now    func() time.Time
}

// Service is the Deployments page's backend.
type Service struct {
	access   *cloudaccess.Access
	profiles Profiles
	tasks    Tasks
	file     string
	log      *slog.Logger
	now      func() time.Time

	base     context.Context
	shutdown context.CancelFunc
	wg       sync.WaitGroup

	mu    sync.Mutex
	emit  Emitter
	plans map[string]*plan
	ops   map[string]*stackop.Tracker
}

// plan is a previewed change set waiting for the user.
type plan struct {
	place Place
	kind  stack.Kind
	cp    *deploy.Plan
	task  *deploy.TaskPlan
	made  time.Time
}

// New builds the service.
func New(opt Options) *Service {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	base, cancel := context.WithCancel(context.Background())
	return &Service{access: opt.Access, profiles: opt.Profiles, tasks: opt.Tasks, file: opt.File, log: opt.Logger, now: opt.Now,
		base: base, shutdown: cancel, emit: func(string, any) {}, plans: map[string]*plan{}, ops: map[string]*stackop.Tracker{}}
}

// Start sends operations' progress through emit from now on.
func (s *Service) Start(emit Emitter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if emit != nil {
		s.emit = emit
	}
}

// Close stops following operations (they go on in CloudFormation) and waits for them
// until ctx ends.
func (s *Service) Close(ctx context.Context) {
	s.shutdown()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Place is an account (a profile) and a Region.
type Place struct {
	ProfileID string `json:"profileId"`
	Region    string `json:"region"`
}

// Account is an AWS profile of the app and the Regions the page shows for it.
type Account struct {
	ProfileID string   `json:"profileId"`
	Name      string   `json:"name"`
	Partition string   `json:"partition"`
	Region    string   `json:"region"` // the profile's default
	Regions   []string `json:"regions"`
}

// Info says what this app can deploy.
type Info struct {
	Version string `json:"version"`
	// HasAgents: the app carries the linux agents; without them it cannot deploy
	// (Problem says why).
	HasAgents bool   `json:"hasAgents"`
	Problem   string `json:"problem,omitempty"`
}

// Info returns this build's version and whether it can deploy.
func (s *Service) Info() Info {
	i := Info{Version: version.Version, HasAgents: s.access.HasAgents()}
	if !i.HasAgents {
		i.Problem = cloudaccess.ErrNoAgents.Error()
	}
	return i
}

// Accounts lists the AWS profiles with the Regions known for each: the profile's own,
// those deployed to or looked at from this app, those of its cloud tasks.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	ps, err := s.profiles.List(ctx)
	if err != nil && len(ps) == 0 {
		return nil, fmt.Errorf("list the credential profiles: %w", err)
	}
	known := s.known()
	if s.tasks != nil {
		for _, p := range s.tasks.Placements(ctx) {
			known = append(known, Place{ProfileID: p.ProfileID, Region: p.Region})
		}
	}
	out := []Account{}
	for _, p := range ps {
		if p.Kind != credentials.KindAWS {
			continue
		}
		a := Account{ProfileID: p.ID, Name: p.Name, Partition: p.Partition, Region: p.Region, Regions: []string{}}
		if p.Region != "" {
			a.Regions = append(a.Regions, p.Region)
		}
		for _, k := range known {
			if k.ProfileID == p.ID && !slices.Contains(a.Regions, k.Region) {
				a.Regions = append(a.Regions, k.Region)
			}
		}
		sort.Strings(a.Regions[min(1, len(a.Regions)):])
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Listing is what one account and Region hold.
type Listing struct {
	Place
	// Account is the AWS account id (sts:GetCallerIdentity).
	Account string `json:"account"`
	// Deployments: control planes first, then task stacks by id, then tasks deleted
	// with their data kept; each with status, version, last update, whether an
	// upgrade is available and whether delete-and-retry applies.
	Deployments []deploy.Deployment `json:"deployments"`
	// Operations under way here.
	Operations []Operation `json:"operations"`
	// Problem says why the place could not be read.
	Problem string    `json:"problem,omitempty"`
	ReadAt  time.Time `json:"readAt"`
}

// List reads the control planes and task stacks of an account and Region ("" Region:
// the profile's), and remembers the Region for the page.
func (s *Service) List(ctx context.Context, profileID, region string) (Listing, error) {
	acct, err := s.access.Account(ctx, profileID, region)
	if err != nil {
		return Listing{}, err
	}
	l := Listing{Place: Place{ProfileID: profileID, Region: acct.Region}, Deployments: []deploy.Deployment{}, Operations: []Operation{}, ReadAt: s.now()}
	who, err := acct.Deployer.Identity(ctx)
	if err != nil {
		return l, err
	}
	l.Account = who.Account
	deps, err := acct.Deployer.List(ctx)
	if err != nil {
		return l, err
	}
	if deps != nil {
		l.Deployments = deps
	}
	l.Operations = s.operationsAt(l.Place)
	s.remember(l.Place)
	return l, nil
}

// Overview lists every known account and Region (Accounts); a place that cannot be
// read says why in its Problem. It also adds the cloud tasks found in the control
// planes' registries to the task list.
func (s *Service) Overview(ctx context.Context) ([]Listing, error) {
	accts, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	out := []Listing{}
	var places []tasks.Placement
	for _, a := range accts {
		for _, r := range a.Regions {
			l, err := s.List(ctx, a.ProfileID, r)
			if err != nil {
				l = Listing{Place: Place{ProfileID: a.ProfileID, Region: r}, Deployments: []deploy.Deployment{}, Operations: s.operationsAt(Place{a.ProfileID, r}),
					Problem: err.Error(), ReadAt: s.now()}
			}
			out = append(out, l)
			for _, d := range l.Deployments {
				if d.Kind == stack.KindControlPlane && d.Stack != "" {
					places = append(places, tasks.Placement{ProfileID: a.ProfileID, Region: r, ControlPlane: d.ControlPlane})
				}
			}
		}
	}
	if s.tasks != nil && len(places) > 0 {
		if n, err := s.tasks.Discover(ctx, places); err != nil {
			s.log.Warn("look for cloud tasks in the control planes' registries", "err", err)
		} else if n > 0 {
			s.log.Info("cloud tasks found in the control planes' registries", "added", n)
		}
	}
	return out, nil
}

// DiscoverKnown adds to the task list the cloud tasks of the control planes at the
// places this app deployed to or runs cloud tasks in (no other account is asked): the
// app calls it when it opens.
func (s *Service) DiscoverKnown(ctx context.Context) error {
	if s.tasks == nil {
		return nil
	}
	seen := map[Place]bool{}
	var places []tasks.Placement
	add := func(p Place) {
		if seen[p] || p.ProfileID == "" || p.Region == "" {
			return
		}
		seen[p] = true
		l, err := s.List(ctx, p.ProfileID, p.Region)
		if err != nil {
			s.log.Debug("read a known place", "profile", p.ProfileID, "region", p.Region, "err", err)
			return
		}
		for _, d := range l.Deployments {
			if d.Kind == stack.KindControlPlane && d.Stack != "" {
				places = append(places, tasks.Placement{ProfileID: p.ProfileID, Region: p.Region, ControlPlane: d.ControlPlane})
			}
		}
	}
	for _, p := range s.known() {
		add(p)
	}
	for _, p := range s.tasks.Placements(ctx) {
		add(Place{ProfileID: p.ProfileID, Region: p.Region})
	}
	if len(places) == 0 {
		return nil
	}
	_, err := s.tasks.Discover(ctx, places)
	return err
}

// --- remembered places -------------------------------------------------------------------

type placesFile struct {
	Version int     `json:"version"`
	Places  []Place `json:"places"`
}

func (s *Service) known() []Place {
	if s.file == "" {
		return nil
	}
	b, err := os.ReadFile(s.file)
	if err != nil {
		return nil
	}
	var f placesFile
	if json.Unmarshal(b, &f) != nil {
		return nil
	}
	return f.Places
}

func (s *Service) remember(p Place) {
	if s.file == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	places := s.known()
	if slices.Contains(places, p) {
		return
	}
	places = append(places, p)
	b, err := json.MarshalIndent(placesFile{Version: 1, Places: places}, "", "  ")
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(s.file), 0o700); err == nil {
			err = atomicfile.Write(s.file, b, 0o600)
		}
	}
	if err != nil {
		s.log.Warn("remember the Region of a deployment", "file", s.file, "err", err)
	}
}

// --- pre-flight and network ---------------------------------------------------------------

// PreflightRequest is what is about to be deployed where.
type PreflightRequest struct {
	ProfileID    string         `json:"profileId"`
	Region       string         `json:"region"`
	ControlPlane string         `json:"controlPlane"`
	Network      *stack.Network `json:"network,omitempty"`
	S3Tasks      int            `json:"s3Tasks"`
	ImageTasks   int            `json:"imageTasks"`
}

// Preflight checks the identity, its permissions (what it lacks), quotas and the
// network before a deploy.
func (s *Service) Preflight(ctx context.Context, req PreflightRequest) (deploy.PreflightReport, error) {
	acct, err := s.access.Account(ctx, req.ProfileID, req.Region)
	if err != nil {
		return deploy.PreflightReport{}, err
	}
	rep, err := acct.Deployer.Preflight(ctx, deploy.PreflightRequest{ControlPlane: req.ControlPlane, Network: req.Network, S3Tasks: req.S3Tasks, ImageTasks: req.ImageTasks})
	if err != nil {
		return rep, err
	}
	if rep.Missing == nil {
		rep.Missing = []string{}
	}
	return rep, nil
}

// Network is a VPC and its subnets, for the network choice.
type Network struct {
	VPCID   string   `json:"vpcId"`
	Name    string   `json:"name,omitempty"`
	CIDR    string   `json:"cidr"`
	Default bool     `json:"default"`
	Subnets []Subnet `json:"subnets"`
}

// Subnet is one subnet of a VPC.
type Subnet struct {
	SubnetID string `json:"subnetId"`
	Name     string `json:"name,omitempty"`
	Zone     string `json:"zone"`
	CIDR     string `json:"cidr"`
	// Default: a default subnet of the default VPC (preselected).
	Default bool `json:"default"`
	// Public: instances launched here get a public address.
	Public bool `json:"public"`
}

// Networks lists the VPCs of an account and Region and their subnets, the default VPC
// first with its default subnets marked (the preselected choice).
func (s *Service) Networks(ctx context.Context, profileID, region string) ([]Network, error) {
	acct, err := s.access.Account(ctx, profileID, region)
	if err != nil {
		return nil, err
	}
	vpcs, err := acct.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		return nil, fmt.Errorf("list the VPCs in %s: %w", acct.Region, err)
	}
	subs, err := acct.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		return nil, fmt.Errorf("list the subnets in %s: %w", acct.Region, err)
	}
	out := []Network{}
	for _, v := range vpcs.Vpcs {
		n := Network{VPCID: aws.ToString(v.VpcId), Name: nameTag(v.Tags), CIDR: aws.ToString(v.CidrBlock), Default: aws.ToBool(v.IsDefault), Subnets: []Subnet{}}
		for _, sn := range subs.Subnets {
			if aws.ToString(sn.VpcId) != n.VPCID {
				continue
			}
			n.Subnets = append(n.Subnets, Subnet{SubnetID: aws.ToString(sn.SubnetId), Name: nameTag(sn.Tags), Zone: aws.ToString(sn.AvailabilityZone),
				CIDR: aws.ToString(sn.CidrBlock), Default: aws.ToBool(sn.DefaultForAz), Public: aws.ToBool(sn.MapPublicIpOnLaunch)})
		}
		sort.Slice(n.Subnets, func(i, j int) bool { return n.Subnets[i].Zone < n.Subnets[j].Zone })
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Default && !out[j].Default })
	return out, nil
}

func nameTag(tags []ec2types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// --- plans ------------------------------------------------------------------------------

// ControlPlaneRequest is a control plane to deploy (create, update or upgrade).
type ControlPlaneRequest struct {
	ProfileID string `json:"profileId"`
	Region    string `json:"region"`
	// Name of the control plane (default "thub").
	Name string `json:"name"`
	// Network: nil keeps a deployed control plane's and gives a new one the default
	// VPC's default subnets.
	Network          *stack.Network `json:"network,omitempty"`
	LogRetentionDays int            `json:"logRetentionDays,omitempty"`
}

// Plan is a change set waiting for the user: Execute runs it, Discard drops it.
type Plan struct {
	PlanID string `json:"planId"`
	Place
	Stack string     `json:"stack"`
	Kind  stack.Kind `json:"kind"`
	// Preview says what the change set does: resources added, modified, replaced or
	// removed, IAM changes, the parameters that change; an upgrade names its versions.
	Preview   deploy.Preview `json:"preview"`
	NoChanges bool           `json:"noChanges"`
	Notes     []string       `json:"notes,omitempty"`
	// DeleteAndRetry: the stack's creation failed and rolled back; it must be deleted
	// before it can be deployed (DeleteFailed), and FirstFailure says why it failed.
	DeleteAndRetry bool            `json:"deleteAndRetry,omitempty"`
	FirstFailure   *deploy.Failure `json:"firstFailure,omitempty"`
}

// PlanControlPlane makes the change set of a control plane and returns its preview;
// a control plane whose creation rolled back comes back with DeleteAndRetry instead.
func (s *Service) PlanControlPlane(ctx context.Context, req ControlPlaneRequest) (Plan, error) {
	if err := s.access.CheckAgents(); err != nil {
		return Plan{}, err
	}
	acct, err := s.access.Account(ctx, req.ProfileID, req.Region)
	if err != nil {
		return Plan{}, err
	}
	place := Place{ProfileID: req.ProfileID, Region: acct.Region}
	p, err := acct.Deployer.PlanControlPlane(ctx, deploy.ControlPlaneRequest{Name: req.Name, Network: req.Network, LogRetentionDays: req.LogRetentionDays})
	var se *deploy.StackStateError
	if errors.As(err, &se) && se.DeleteAndRetry {
		return Plan{Place: place, Stack: se.Stack, Kind: stack.KindControlPlane, DeleteAndRetry: true, FirstFailure: se.FirstFailure}, nil
	}
	if err != nil {
		return Plan{}, err
	}
	s.remember(place)
	return s.keep(&plan{place: place, kind: stack.KindControlPlane, cp: p}), nil
}

// PlanUpgrade makes the change set that upgrades a deployment to this app's agent and
// templates, keeping its settings: a control plane (taskID "") or a task's stack.
func (s *Service) PlanUpgrade(ctx context.Context, profileID, region, controlPlane, taskID string) (Plan, error) {
	if taskID == "" {
		return s.PlanControlPlane(ctx, ControlPlaneRequest{ProfileID: profileID, Region: region, Name: controlPlane})
	}
	if err := s.access.CheckAgents(); err != nil {
		return Plan{}, err
	}
	acct, err := s.access.Account(ctx, profileID, region)
	if err != nil {
		return Plan{}, err
	}
	tp, err := acct.Deployer.PlanUpgradeTask(ctx, controlPlane, taskID, false)
	if err != nil {
		return Plan{}, err
	}
	return s.keep(&plan{place: Place{ProfileID: profileID, Region: acct.Region}, kind: tp.Request.Kind, task: tp}), nil
}

func (s *Service) keep(p *plan) Plan {
	p.made = s.now()
	id := fmt.Sprintf("plan-%d", p.made.UnixNano())
	out := Plan{PlanID: id, Place: p.place, Kind: p.kind}
	if p.cp != nil {
		out.Stack, out.Preview, out.NoChanges = p.cp.Stack, p.cp.Preview, p.cp.NoChanges
	} else {
		out.Stack, out.Preview, out.NoChanges, out.Notes = p.task.Stack, p.task.Preview, p.task.NoChanges, p.task.Notes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, old := range s.plans {
		if s.now().Sub(old.made) > time.Hour {
			delete(s.plans, k) // previews nobody answered (their change sets stay until the stack's next deploy)
		}
	}
	s.plans[id] = p
	return out
}

func (s *Service) take(id string) (*plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.plans[id]
	delete(s.plans, id)
	if p == nil {
		return nil, fmt.Errorf("the preview %s is gone (executed, discarded, or the app restarted): make it again", id)
	}
	return p, nil
}

// Discard drops a previewed change set.
func (s *Service) Discard(ctx context.Context, planID string) error {
	p, err := s.take(planID)
	if err != nil {
		return nil //nolint:nilerr // nothing left to discard
	}
	acct, err := s.access.Account(ctx, p.place.ProfileID, p.place.Region)
	if err != nil {
		return err
	}
	if p.cp != nil {
		return acct.Deployer.Discard(ctx, p.cp)
	}
	return acct.Deployer.DiscardTask(ctx, p.task)
}
