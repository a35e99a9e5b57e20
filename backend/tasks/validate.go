package tasks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"transferhub/backend/credentials"
	"transferhub/cloud/image"
	"transferhub/cloud/invalid"
	"transferhub/cloud/spec"
)

// FieldError is one invalid field with a message a user can act on. Field is a dotted
// path into the create request ("name", "s3.source.bucket", "image.platforms").
type FieldError = invalid.FieldError

// ValidationError lists every invalid field at once, so a form can mark them all.
type ValidationError = invalid.Error

// ErrInvalid marks a validation failure.
var ErrInvalid = invalid.ErrInvalid

// Limits of a task's fields. The spec (cloud/spec) has its own; the wizard offers
// these narrower ones for what runs in the app.
const (
	MaxNameLength  = 128
	MinConcurrency = 1
	MaxConcurrency = 256
	MinInterval    = spec.MinInterval
)

// Choices offered by the wizard; validation accepts exactly these.
var (
	CompareModes   = spec.CompareModes
	ServerSides    = spec.ServerSides
	StorageClasses = spec.StorageClasses
	CannedACLs     = spec.CannedACLs
	SSEModes       = spec.SSEModes
)

// ProfileLookup returns a credential profile's metadata (never its secret).
type ProfileLookup func(ctx context.Context, id string) (credentials.Profile, error)

// ErrProfileNotFound is what a ProfileLookup returns (wrapped) for an unknown id.
var ErrProfileNotFound = credentials.ErrProfileNotFound

// Validate checks a task's name and definition without network calls. The definition's
// spec is checked by cloud/spec (with what the chosen profiles say: registry hosts,
// ECR regions, S3-compatible endpoints); what only the app knows is checked here: the
// name (unique among existing, the names of the other tasks), the profiles (they exist,
// are of the right kind, regions belong to their partition), folders on this computer
// and what the app's runner does not do (events, a run at a set time).
func Validate(ctx context.Context, name string, d Definition, profiles ProfileLookup, existing []string) error {
	c := &checker{ctx: ctx, profile: profiles, seen: map[string]credentials.Profile{}}
	c.name(strings.TrimSpace(name), existing)
	t := c.spec(d)
	if t.Image != nil {
		c.destinationWords(t.Image.Destination, d.Image.Destination.ProfileID)
	}
	// The spec's messages, but for the fields worded above.
	fields, err := invalid.Fields(t.Validate(cloudRun(d)))
	if err != nil {
		return err
	}
	worded := map[string]bool{}
	for _, f := range c.Fields() {
		worded[f.Field] = true
	}
	for _, f := range fields {
		if !worded[f.Field] {
			c.Add(f.Field, f.Message)
		}
	}
	switch {
	case d.S3 != nil && d.Image != nil:
	case d.S3 != nil:
		c.s3(*d.S3, d.Cloud != nil)
	case d.Image != nil:
		c.image(*d.Image)
	}
	if d.Cloud != nil {
		c.cloud(d)
	} else if d.Schedule.Kind == spec.ScheduleOnce {
		c.add("schedule.kind", "a run at a set time is for cloud tasks; here, choose none (start it yourself), interval or cron")
	}
	return c.Err("task")
}

type checker struct {
	invalid.List
	ctx     context.Context
	profile ProfileLookup
	seen    map[string]credentials.Profile // found profiles by id
}

func (c *checker) add(field, format string, args ...any) {
	c.Add(field, fmt.Sprintf(format, args...))
}

// addNew adds a problem unless the spec already reported that field.
func (c *checker) addNew(field, format string, args ...any) {
	if !c.Has(field) {
		c.add(field, format, args...)
	}
}

func (c *checker) name(name string, existing []string) {
	switch {
	case name == "":
		c.add("name", "enter a name for the task")
	case utf8.RuneCountInString(name) > MaxNameLength:
		c.add("name", "%d characters is too long; use at most %d", utf8.RuneCountInString(name), MaxNameLength)
	case strings.ContainsAny(name, "\x00\r\n\t"):
		c.add("name", "use a single line without tabs")
	default:
		for _, n := range existing {
			if strings.EqualFold(n, name) {
				c.add("name", "a task called %q already exists; choose another name", n)
				break
			}
		}
	}
}

// known returns a profile that exists (metadata), without reporting anything.
func (c *checker) known(id string) (credentials.Profile, bool) {
	if id == "" || c.profile == nil {
		return credentials.Profile{}, false
	}
	if p, ok := c.seen[id]; ok {
		return p, true
	}
	p, err := c.profile(c.ctx, id)
	if err != nil {
		return p, false
	}
	c.seen[id] = p
	return p, true
}

// spec is the definition's spec as the chosen profiles complete it for validation:
// the hosts and regions they name, the connection of an S3-compatible store.
func (c *checker) spec(d Definition) spec.Task {
	t := d.Spec()
	if d.S3 != nil {
		s := *t.S3
		for _, x := range []struct {
			side *spec.Side
			id   string
		}{{&s.Source, d.S3.Source.ProfileID}, {&s.Destination, d.S3.Destination.ProfileID}} {
			p, ok := c.known(x.id)
			if !ok || x.side.Kind != LocationS3 {
				continue
			}
			switch p.Kind {
			case credentials.KindS3Compatible:
				x.side.Provider, x.side.Endpoint = p.Provider, p.Endpoint
				if p.PathStyle {
					x.side.Addressing = "path"
				}
			case credentials.KindAWS:
				if x.side.Region == "" {
					x.side.Region = p.Region // the profile's partition tells two buckets of one name apart
				}
			}
		}
		t.S3 = &s
	}
	if d.Image != nil {
		im := *t.Image
		c.imageSide(d.Image.Source.ProfileID, im.Source.Kind, &im.Source.Registry, &im.Source.Region)
		c.imageSide(d.Image.Destination.ProfileID, im.Destination.Kind, &im.Destination.Registry, &im.Destination.Region)
		t.Image = &im
	}
	return t
}

// imageSide completes one side of an image spec from its profile (id): a registry
// profile names the registry's host, an AWS profile the ECR's region when none is set.
func (c *checker) imageSide(id, kind string, registry, region *string) {
	p, ok := c.known(id)
	if !ok {
		return
	}
	switch {
	case kind == RegistryKind && p.Kind == credentials.KindRegistry:
		*registry = p.Host
	case kind == ECRKind && *region == "":
		*region = p.Region
	}
}

// lookup returns the profile or adds a field error and reports false.
func (c *checker) lookup(field, id, what string) (credentials.Profile, bool) {
	if c.profile == nil {
		c.add(field, "credential profiles are not available")
		return credentials.Profile{}, false
	}
	if p, ok := c.seen[id]; ok {
		return p, true
	}
	p, err := c.profile(c.ctx, id)
	switch {
	case errors.Is(err, ErrProfileNotFound):
		c.add(field, "the credential profile for the %s no longer exists; choose another one or add it under Credentials", what)
		return p, false
	case err != nil:
		c.add(field, "the credential profile for the %s could not be read: %v", what, err)
		return p, false
	}
	c.seen[id] = p
	return p, true
}

func (c *checker) s3(s S3Spec, cloud bool) {
	c.location("s3.source", s.Source, "source", false)
	c.location("s3.destination", s.Destination, "destination", true)
	if s.Concurrency != 0 && (s.Concurrency < MinConcurrency || s.Concurrency > MaxConcurrency) {
		c.addNew("s3.concurrency", "%d is out of range; enter a whole number from %d to %d", s.Concurrency, MinConcurrency, MaxConcurrency)
	}
	if s.ServerSide == "always" && s.Source.Kind == LocationS3 && s.Destination.Kind == LocationS3 && s.Source.ProfileID != s.Destination.ProfileID {
		c.addNew("s3.serverSide", "always: the source and destination use different credential profiles, and a server-side copy needs one that reads the source and writes the destination; choose the same profile for both, or auto or never")
	}
	if s.Events != "" && s.Events != "none" && !cloud {
		c.addNew("s3.events", "S3 event notifications reach cloud tasks only")
	}
}

// location checks what the app adds to a side: its profile, or a folder on this computer.
func (c *checker) location(field string, l Location, what string, dest bool) {
	switch l.Kind {
	case LocationLocal:
		if l.Path == "" || c.Has(field+".path") {
			return
		}
		if !filepath.IsAbs(l.Path) {
			c.add(field+".path", "%q is a relative path; enter a full path such as %s", l.Path, exampleAbs())
			return
		}
		fi, err := os.Stat(l.Path)
		switch {
		case err == nil && !fi.IsDir():
			c.add(field+".path", "%s is a file, not a folder", l.Path)
		case errors.Is(err, os.ErrNotExist) && !dest:
			c.add(field+".path", "the folder %s does not exist", l.Path)
		case err != nil && !errors.Is(err, os.ErrNotExist):
			c.add(field+".path", "the folder %s cannot be read: %v", l.Path, err)
		}
	case LocationS3:
		for _, x := range []struct {
			set bool
			f   string
		}{{l.AWSProfile != "", "awsProfile"}, {l.SecretARN != "", "secretArn"}, {l.RoleARN != "", "roleArn"},
			{l.ExternalID != "", "externalId"}, {l.Anonymous, "anonymous"}, {l.Endpoint != "", "endpoint"},
			{l.Provider != "", "provider"}, {l.Addressing != "", "addressing"}} {
			if x.set {
				c.addNew(field+"."+x.f, "the app reaches buckets through credential profiles; set this in the profile under Credentials")
			}
		}
		if l.ProfileID == "" {
			c.add(field+".profileId", "choose the credentials for the %s bucket", what)
			return
		}
		p, found := c.lookup(field+".profileId", l.ProfileID, what)
		if !found {
			return
		}
		switch p.Kind {
		case credentials.KindAWS:
			region := l.Region
			if region == "" {
				region = p.Region
			}
			if region == "" {
				c.add(field+".region", "the profile %q has no default region; choose the bucket's region", p.Name)
			} else if err := checkRegion(region, p.Partition); err != nil {
				c.addNew(field+".region", "%v", err)
			}
		case credentials.KindS3Compatible:
		default:
			c.add(field+".profileId", "%q is a container registry profile; choose an AWS or S3-compatible profile", p.Name)
		}
	}
}

// destinationWords says in the wizard's words what is wrong with an image destination
// the registry parser refuses (the spec's messages are written for the command line):
// which of registry and prefix to fix, and how to write it.
func (c *checker) destinationWords(dst spec.ImageDestination, profileID string) {
	switch dst.Kind {
	case RegistryKind:
		_, hostErr := image.ParseDestination(dst.Registry)
		switch {
		case dst.Registry == "":
			c.add("image.destination.registry", "choose the destination registry's credentials, or enter its host (e.g. registry.example.com:5000)")
		case hostErr != nil && profileID == "" && dst.Prefix == "":
			c.add("image.destination.registry", "%q is not a registry host; write host or host:port", dst.Registry)
		case hostErr == nil && dst.Prefix != "":
			c.prefixWords(dst.Registry, dst.Prefix)
		}
	case ECRKind:
		if dst.Prefix != "" {
			c.prefixWords("ecr.invalid", dst.Prefix)
		}
	}
}

func (c *checker) prefixWords(host, prefix string) {
	if _, err := image.ParseDestination(host + "/" + prefix); err != nil {
		c.add("image.destination.prefix", "%q is not a repository prefix: use lowercase letters, digits, and . _ - / between them", prefix)
	}
}

func (c *checker) image(s ImageSpec) {
	src, dst := s.Source, s.Destination
	if src.Kind == RegistryKind && src.ProfileID != "" {
		if p, ok := c.lookup("image.source.profileId", src.ProfileID, "source registry"); ok && p.Kind != credentials.KindRegistry {
			c.add("image.source.profileId", "%q is not a container registry profile; choose a registry profile, or none for public images", p.Name)
		}
	}
	if src.Kind == ECRKind {
		c.ecrSide("image.source", src.ProfileID, src.Region, "source")
	}
	switch dst.Kind {
	case RegistryKind:
		if dst.ProfileID != "" {
			if p, ok := c.lookup("image.destination.profileId", dst.ProfileID, "destination registry"); ok && p.Kind != credentials.KindRegistry {
				c.add("image.destination.profileId", "%q is not a container registry profile; choose a registry profile", p.Name)
			}
		}
	case ECRKind:
		c.ecrSide("image.destination", dst.ProfileID, dst.Region, "destination")
	}
	for _, x := range []struct {
		set   bool
		field string
	}{{src.SecretARN != "", "image.source.secretArn"}, {dst.SecretARN != "", "image.destination.secretArn"}} {
		if x.set {
			c.addNew(x.field, "the app reaches registries through credential profiles; choose one instead")
		}
	}
	if s.Concurrency != 0 && (s.Concurrency < MinConcurrency || s.Concurrency > MaxConcurrency) {
		c.addNew("image.concurrency", "%d is out of range; enter a whole number from %d to %d", s.Concurrency, MinConcurrency, MaxConcurrency)
	}
}

func (c *checker) ecrSide(field, profileID, region, what string) {
	if profileID == "" {
		c.add(field+".profileId", "choose the AWS credentials for the %s Amazon ECR", what)
		return
	}
	p, ok := c.lookup(field+".profileId", profileID, what+" ECR")
	if !ok {
		return
	}
	if p.Kind != credentials.KindAWS {
		c.add(field+".profileId", "%q is not an AWS profile; Amazon ECR needs AWS credentials", p.Name)
		return
	}
	if region == "" {
		region = p.Region
	}
	if region != "" {
		if err := checkRegion(region, p.Partition); err != nil {
			c.addNew(field+".region", "%v", err)
		}
	}
}

func exampleAbs() string {
	if filepath.Separator == '\\' {
		return `C:\Users\you\data`
	}
	return "/home/you/data"
}
