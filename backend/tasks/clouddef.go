package tasks

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"transferhub/backend/credentials"
	"transferhub/cloud/deploy"
	"transferhub/cloud/spec"
)

// CloudOptions say where a cloud task runs and how: an AWS account and Region (an AWS
// credential profile of this app), its fleet and alarms. A definition with CloudOptions
// is a cloud task's (state.EngineCloud): its stack runs it in that account.
type CloudOptions struct {
	// ProfileID is the AWS credential profile of the account the task is deployed to;
	// Region the Region (default: the profile's).
	ProfileID string `json:"profileId"`
	Region    string `json:"region,omitempty"`
	// ControlPlane is the control plane's name (default "thub").
	ControlPlane string `json:"controlPlane,omitempty"`

	// S3 tasks: the worker fleet. MaxWorkers 1 to 1000 (default 10); InstanceTypes 1
	// to 3 types of one architecture, the first preferred (default Graviton:
	// c7g.large, c6g.large, m7g.large); Spot runs them on Spot capacity.
	MaxWorkers    int      `json:"maxWorkers,omitempty"`
	InstanceTypes []string `json:"instanceTypes,omitempty"`
	Spot          bool     `json:"spot,omitempty"`
	// Image tasks: copier tasks at once (1 to 40, default 10).
	MaxCopiers int `json:"maxCopiers,omitempty"`

	// AlarmEmail is subscribed to the task's alarms.
	AlarmEmail string `json:"alarmEmail,omitempty"`
	// Network is where the agents run when this task deploys the control plane (nil:
	// the Region's default VPC). A deployed control plane keeps its own network.
	Network *CloudNetwork `json:"network,omitempty"`
}

// CloudNetwork is a VPC and subnets for the agents.
type CloudNetwork struct {
	VPCID     string   `json:"vpcId"`
	SubnetIDs []string `json:"subnetIds"`
	// Private: the subnets have no internet gateway (no public addresses for the
	// agents; they need NAT or VPC endpoints, see cloud/docs/deploy.md).
	Private bool `json:"private,omitempty"`
}

// Placement is where a cloud task's stack is.
type Placement struct {
	ProfileID    string `json:"profileId"`
	Region       string `json:"region"`
	ControlPlane string `json:"controlPlane"`
}

// placement completes the options with their defaults (region from the profile).
func (c CloudOptions) placement(profileRegion string) Placement {
	p := Placement{ProfileID: c.ProfileID, Region: c.Region, ControlPlane: c.ControlPlane}
	if p.Region == "" {
		p.Region = profileRegion
	}
	if p.ControlPlane == "" {
		p.ControlPlane = deploy.DefaultControlPlane
	}
	return p
}

// Cloud limits the wizard offers.
const (
	MaxCloudWorkers = 1000
	MaxCloudCopiers = 40
	// DefaultInstanceType is the first of the default fleet (Graviton).
	DefaultInstanceType = "c7g.large"
)

// DefaultInstanceTypes is the fleet's default: Graviton, three types so Spot and
// on-demand capacity can be found.
var DefaultInstanceTypes = []string{"c7g.large", "c6g.large", "m7g.large"}

var (
	instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	gravitonRE     = regexp.MustCompile(`^[a-z]+[0-9]+[a-z-]*g[a-z-]*\.[a-z0-9]+$`)
	vpcRE          = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetRE       = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	controlPlaneRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)
)

// normalized trims what users type.
func (c CloudOptions) normalized() CloudOptions {
	c.ProfileID, c.Region = strings.TrimSpace(c.ProfileID), strings.TrimSpace(c.Region)
	c.ControlPlane, c.AlarmEmail = strings.TrimSpace(c.ControlPlane), strings.TrimSpace(c.AlarmEmail)
	c.InstanceTypes = cleanList(c.InstanceTypes, true)
	if c.Network != nil {
		n := *c.Network
		n.VPCID, n.SubnetIDs = strings.TrimSpace(n.VPCID), cleanList(n.SubnetIDs, true)
		c.Network = &n
		if n.VPCID == "" && len(n.SubnetIDs) == 0 {
			c.Network = nil
		}
	}
	return c
}

// cloud checks a cloud task's options and what a cloud run needs of its sides: the
// spec for a cloud run (buckets only, schedules at a time and S3 events allowed), the
// account's profile, sides whose keys can be stored in Secrets Manager.
func (c *checker) cloud(d Definition) {
	o := *d.Cloud
	const f = "cloud"
	p, ok := credentials.Profile{}, false
	if o.ProfileID == "" {
		c.add(f+".profileId", "choose the AWS account (an AWS credential profile) the task runs in")
	} else if p, ok = c.lookup(f+".profileId", o.ProfileID, "AWS account"); ok && p.Kind != credentials.KindAWS {
		c.add(f+".profileId", "%q is not an AWS profile; a cloud task runs in an AWS account", p.Name)
		ok = false
	}
	if ok {
		region := o.Region
		if region == "" {
			region = p.Region
		}
		if region == "" {
			c.add(f+".region", "the profile %q has no default Region; choose the Region the task runs in", p.Name)
		} else if err := checkRegion(region, p.Partition); err != nil {
			c.add(f+".region", "%v", err)
		}
	}
	if o.ControlPlane != "" && !controlPlaneRE.MatchString(o.ControlPlane) {
		c.add(f+".controlPlane", "use 1 to 30 lower-case letters, digits and dashes, starting with a letter")
	}
	if o.MaxWorkers != 0 && (o.MaxWorkers < 1 || o.MaxWorkers > MaxCloudWorkers) {
		c.add(f+".maxWorkers", "%d is out of range; enter a whole number from 1 to %d", o.MaxWorkers, MaxCloudWorkers)
	}
	if o.MaxCopiers != 0 && (o.MaxCopiers < 1 || o.MaxCopiers > MaxCloudCopiers) {
		c.add(f+".maxCopiers", "%d is out of range; enter a whole number from 1 to %d", o.MaxCopiers, MaxCloudCopiers)
	}
	switch n := len(o.InstanceTypes); {
	case n > 3:
		c.add(f+".instanceTypes", "choose at most 3 instance types (the first is preferred)")
	case n > 0:
		arm := 0
		for _, t := range o.InstanceTypes {
			if !instanceTypeRE.MatchString(t) {
				c.add(f+".instanceTypes", "%q is not an instance type; write it as family.size, e.g. c7g.large", t)
				return
			}
			if gravitonRE.MatchString(t) {
				arm++
			}
		}
		if arm != 0 && arm != n {
			c.add(f+".instanceTypes", "mix no Graviton (arm64) and x86 types: the workers run one agent build")
		}
	}
	if o.AlarmEmail != "" {
		if a, err := mail.ParseAddress(o.AlarmEmail); err != nil || a.Address != o.AlarmEmail {
			c.add(f+".alarmEmail", "%q is not an e-mail address", o.AlarmEmail)
		}
	}
	if n := o.Network; n != nil {
		if !vpcRE.MatchString(n.VPCID) {
			c.add(f+".network.vpcId", "%q is not a VPC id (vpc-...)", n.VPCID)
		}
		if len(n.SubnetIDs) == 0 {
			c.add(f+".network.subnetIds", "choose at least one subnet of the VPC")
		}
		for _, s := range n.SubnetIDs {
			if !subnetRE.MatchString(s) {
				c.add(f+".network.subnetIds", "%q is not a subnet id (subnet-...)", s)
				break
			}
		}
	}
	if d.S3 != nil {
		for _, x := range []struct {
			field string
			side  Location
		}{{"s3.source", d.S3.Source}, {"s3.destination", d.S3.Destination}} {
			c.cloudSide(x.field+".profileId", x.side.ProfileID, o.ProfileID)
		}
		if d.S3.PrefixList != "" && strings.HasPrefix(d.S3.PrefixList, "s3://") {
			c.addNew("s3.prefixList", "give the prefix list as a file on this computer: the app stores it with the task")
		}
	}
	if d.Image != nil {
		c.cloudSide("image.source.profileId", d.Image.Source.ProfileID, o.ProfileID)
		c.cloudSide("image.destination.profileId", d.Image.Destination.ProfileID, o.ProfileID)
	}
}

// cloudSide: a side reached with another profile than the task's account has its keys
// stored in Secrets Manager, which takes long-lived keys only.
func (c *checker) cloudSide(field, profileID, account string) {
	if profileID == "" || profileID == account {
		return // anonymous, or the task's own account: its roles reach it
	}
	p, ok := c.known(profileID)
	if !ok {
		return // the side's own check says so
	}
	if p.Kind == credentials.KindAWS && p.SharedProfile != "" {
		c.addNew(field, "%q uses the AWS CLI profile %q, whose credentials are temporary or unknown to the app; a cloud task stores a side's keys in Secrets Manager: choose a profile with access keys, or the task's own account", p.Name, p.SharedProfile)
	}
	if msg := cloudCAProblem(p); msg != "" {
		c.addNew(field, "%s", msg)
	}
}

// cloudCAProblem: a registry profile that trusts its registry through a CA file on this
// computer cannot serve a cloud task, whose agents run in AWS without that file (they
// trust the public CAs only) and would refuse the registry's certificate. The task does
// not carry the file: a CA is the profile's, kept on this computer, and the stack takes
// no certificates.
func cloudCAProblem(p credentials.Profile) string {
	if p.Kind != credentials.KindRegistry || p.CAFile == "" {
		return ""
	}
	return fmt.Sprintf("%q trusts its registry's certificate through the CA file %s on this computer; a cloud task's agents run in AWS without that file and would refuse the registry: use a registry whose certificate is publicly trusted, or run this task in the app", p.Name, p.CAFile)
}

// cloudRun is how the spec is checked: for a cloud run when the task is a cloud task.
func cloudRun(d Definition) spec.Run {
	if d.Cloud != nil {
		return spec.CloudRun
	}
	return spec.LocalRun
}

// InstanceTypeChoices are what the wizard offers: Graviton first (any other type can
// be typed).
func InstanceTypeChoices() []string {
	return append(slices.Clone(DefaultInstanceTypes), "m6g.large", "c7g.xlarge", "m7g.xlarge", "c7i.large", "m7i.large")
}
