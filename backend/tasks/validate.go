package tasks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
	"github.com/dustin/go-humanize"
	"github.com/regclient/regclient/types/platform"
	"github.com/robfig/cron/v3"

	"transferhub/backend/credentials"
	"transferhub/cloud/image"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
)

// FieldError is one invalid field with a message a user can act on. Field is a dotted
// path into the create request ("name", "s3.source.bucket", "image.platforms").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field at once, so a form can mark them all.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Field + ": " + f.Message
	}
	return "invalid task: " + strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for a *ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// ErrInvalid marks a validation failure.
var ErrInvalid = errors.New("invalid task")

// Limits of a task's fields.
const (
	MaxNameLength   = 128
	MinConcurrency  = 1
	MaxConcurrency  = 256
	MinInterval     = time.Minute
	maxPrefixLength = 1024
	maxLatest       = 10000
)

// Choices offered by the wizard; validation accepts exactly these.
var (
	CompareModes   = []string{string(s3sync.CompareSizeETag), string(s3sync.CompareSize), string(s3sync.CompareChecksum), string(s3sync.CompareNone)}
	ServerSides    = []string{string(s3sync.ServerSideAuto), string(s3sync.ServerSideNever), string(s3sync.ServerSideAlways)}
	StorageClasses = []string{"STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER",
		"DEEP_ARCHIVE", "REDUCED_REDUNDANCY"}
	CannedACLs = []string{"private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
		"bucket-owner-read", "bucket-owner-full-control"}
	SSEModes = []string{"AES256", "aws:kms"}
)

// ProfileLookup returns a credential profile's metadata (never its secret).
type ProfileLookup func(ctx context.Context, id string) (credentials.Profile, error)

// ErrProfileNotFound is what a ProfileLookup returns (wrapped) for an unknown id.
var ErrProfileNotFound = credentials.ErrProfileNotFound

type checker struct {
	ctx     context.Context
	profile ProfileLookup
	fields  []FieldError
}

func (c *checker) add(field, format string, args ...any) {
	c.fields = append(c.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Validate checks a task's name and definition without network calls. Profiles are
// looked up (metadata only) to check that each side uses a profile of the right kind and
// regions of its partition. existing are the names of the other tasks (names are unique).
func Validate(ctx context.Context, name string, d Definition, profiles ProfileLookup, existing []string) error {
	c := &checker{ctx: ctx, profile: profiles}
	name = strings.TrimSpace(name)
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
	switch {
	case d.S3 != nil && d.Image != nil:
		c.add("type", "a task copies either S3 objects or container images, not both")
	case d.S3 != nil:
		c.s3(*d.S3)
	case d.Image != nil:
		c.image(*d.Image)
	default:
		c.add("type", "choose what the task copies: S3 objects or container images")
	}
	c.schedule(d.Schedule)
	if len(c.fields) > 0 {
		return &ValidationError{Fields: c.fields}
	}
	return nil
}

// lookup returns the profile or adds a field error and reports false.
func (c *checker) lookup(field, id, what string) (credentials.Profile, bool) {
	if c.profile == nil {
		c.add(field, "credential profiles are not available")
		return credentials.Profile{}, false
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
	return p, true
}

func (c *checker) s3(s S3Spec) {
	src := c.location("s3.source", s.Source, "source", false)
	dst := c.location("s3.destination", s.Destination, "destination", true)
	if src && dst && s.Source.Kind == s.Destination.Kind {
		switch s.Source.Kind {
		case LocationS3:
			if s.Source.ProfileID == s.Destination.ProfileID && s.Source.Bucket == s.Destination.Bucket &&
				(strings.HasPrefix(s.Source.Prefix, s.Destination.Prefix) || strings.HasPrefix(s.Destination.Prefix, s.Source.Prefix)) {
				c.add("s3.destination.prefix", "the destination overlaps the source (same bucket, one prefix contains the other): a sync would read its own output")
			}
		case LocationLocal:
			a, b := filepath.Clean(s.Source.Path)+string(filepath.Separator), filepath.Clean(s.Destination.Path)+string(filepath.Separator)
			if strings.HasPrefix(a, b) || strings.HasPrefix(b, a) {
				c.add("s3.destination.path", "the destination folder overlaps the source folder: a sync would read its own output")
			}
		}
	}
	if s.Compare != "" && !contains(CompareModes, s.Compare) {
		c.add("s3.compare", "%q is not a compare mode; choose %s", s.Compare, strings.Join(CompareModes, ", "))
	}
	if s.ServerSide != "" && !contains(ServerSides, s.ServerSide) {
		c.add("s3.serverSide", "%q is not a choice; choose auto, never or always", s.ServerSide)
	}
	for i, p := range s.Prefixes {
		switch {
		case !utf8.ValidString(p):
			c.add("s3.prefixes", "line %d is not valid UTF-8", i+1)
		case strings.HasPrefix(p, "/"):
			c.add("s3.prefixes", "line %d (%q) starts with \"/\"; prefixes are relative to the source, e.g. photos/2024/", i+1, p)
		case len(p) > maxPrefixLength:
			c.add("s3.prefixes", "line %d is %d bytes long; S3 keys are at most %d", i+1, len(p), maxPrefixLength)
		}
	}
	for _, g := range s.Include {
		if _, err := s3sync.Glob(g); err != nil {
			c.add("s3.include", "%v", err)
		}
	}
	for _, g := range s.Exclude {
		if _, err := s3sync.Glob(g); err != nil {
			c.add("s3.exclude", "%v", err)
		}
	}
	minSize, okMin := c.size("s3.minSize", s.MinSize)
	maxSize, okMax := c.size("s3.maxSize", s.MaxSize)
	if okMin && okMax && maxSize > 0 && minSize > maxSize {
		c.add("s3.maxSize", "the largest size (%s) is below the smallest (%s)", s.MaxSize, s.MinSize)
	}
	after, okA := c.date("s3.modifiedAfter", s.ModifiedAfter)
	before, okB := c.date("s3.modifiedBefore", s.ModifiedBefore)
	if okA && okB && !after.IsZero() && !before.IsZero() && !after.Before(before) {
		c.add("s3.modifiedBefore", "%s is not after %s; no object could match", s.ModifiedBefore, s.ModifiedAfter)
	}
	c.concurrency("s3.concurrency", s.Concurrency)
	writeOpts := s.StorageClass != "" || s.ACL != "" || s.SSE != "" || s.SSEKMSKeyID != ""
	if writeOpts && s.Destination.Kind == LocationLocal {
		c.add("s3.storageClass", "storage class, ACL and encryption apply to S3 destinations, not to a local folder")
	}
	if s.StorageClass != "" && !contains(StorageClasses, s.StorageClass) {
		c.add("s3.storageClass", "%q is not a storage class; choose %s", s.StorageClass, strings.Join(StorageClasses, ", "))
	}
	if s.ACL != "" && !contains(CannedACLs, s.ACL) {
		c.add("s3.acl", "%q is not a canned ACL; choose %s", s.ACL, strings.Join(CannedACLs, ", "))
	}
	if s.SSE != "" && !contains(SSEModes, s.SSE) {
		c.add("s3.sse", "%q is not an encryption mode; choose AES256 or aws:kms", s.SSE)
	}
	if s.SSEKMSKeyID != "" && s.SSE != "aws:kms" {
		c.add("s3.sseKmsKeyId", "a KMS key applies only with aws:kms encryption")
	}
}

// location validates one side; dest reports the destination (its folder may not exist yet).
func (c *checker) location(field string, l Location, what string, dest bool) bool {
	ok := true
	switch l.Kind {
	case LocationLocal:
		switch {
		case l.Path == "":
			c.add(field+".path", "enter the %s folder", what)
			ok = false
		case !filepath.IsAbs(l.Path):
			c.add(field+".path", "%q is a relative path; enter a full path such as %s", l.Path, exampleAbs())
			ok = false
		default:
			fi, err := os.Stat(l.Path)
			switch {
			case err == nil && !fi.IsDir():
				c.add(field+".path", "%s is a file, not a folder", l.Path)
				ok = false
			case errors.Is(err, os.ErrNotExist) && !dest:
				c.add(field+".path", "the folder %s does not exist", l.Path)
				ok = false
			case err != nil && !errors.Is(err, os.ErrNotExist):
				c.add(field+".path", "the folder %s cannot be read: %v", l.Path, err)
				ok = false
			}
		}
	case LocationS3:
		if l.ProfileID == "" {
			c.add(field+".profileId", "choose the credentials for the %s bucket", what)
			ok = false
		} else if p, found := c.lookup(field+".profileId", l.ProfileID, what); found {
			switch p.Kind {
			case credentials.KindAWS:
				region := l.Region
				if region == "" {
					region = p.Region
				}
				if region == "" {
					c.add(field+".region", "the profile %q has no default region; choose the bucket's region", p.Name)
					ok = false
				} else if err := checkRegion(region, p.Partition); err != nil {
					c.add(field+".region", "%v", err)
					ok = false
				}
			case credentials.KindS3Compatible:
				if l.Region != "" && !regionLike.MatchString(l.Region) {
					c.add(field+".region", "%q is not a region name: use lowercase letters, digits and hyphens", l.Region)
					ok = false
				}
			default:
				c.add(field+".profileId", "%q is a container registry profile; choose an AWS or S3-compatible profile", p.Name)
				ok = false
			}
		} else {
			ok = false
		}
		if err := objstore.ValidateBucket(l.Bucket); err != nil {
			if l.Bucket == "" {
				c.add(field+".bucket", "enter the %s bucket name", what)
			} else {
				c.add(field+".bucket", "%s", strings.TrimPrefix(err.Error(), "invalid bucket name "+fmt.Sprintf("%q", l.Bucket)+": "))
			}
			ok = false
		}
		if len(l.Prefix) > maxPrefixLength {
			c.add(field+".prefix", "the prefix is %d bytes long; S3 keys are at most %d", len(l.Prefix), maxPrefixLength)
			ok = false
		} else if !utf8.ValidString(l.Prefix) {
			c.add(field+".prefix", "the prefix is not valid UTF-8")
			ok = false
		}
	case "":
		c.add(field+".kind", "choose whether the %s is a bucket or a folder on this computer", what)
		ok = false
	default:
		c.add(field+".kind", "%q is not a location kind; choose s3 or local", l.Kind)
		ok = false
	}
	return ok
}

var regionLike = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func (c *checker) size(field, v string) (int64, bool) {
	if v == "" {
		return 0, true
	}
	n, err := humanize.ParseBytes(v)
	if err != nil {
		c.add(field, "%q is not a size; write a number with a unit, e.g. 512KiB, 10MB or 5GiB", v)
		return 0, false
	}
	return int64(n), true
}

func parseDate(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date; use YYYY-MM-DD or 2024-05-01T12:00:00Z", v)
}

func (c *checker) date(field, v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := parseDate(v)
	if err != nil {
		c.add(field, "%v", err)
		return t, false
	}
	return t, true
}

func (c *checker) concurrency(field string, n int) {
	if n != 0 && (n < MinConcurrency || n > MaxConcurrency) {
		c.add(field, "%d is out of range; enter a whole number from %d to %d", n, MinConcurrency, MaxConcurrency)
	}
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

func (c *checker) image(s ImageSpec) {
	src, dst := s.Source, s.Destination
	srcHost := ""
	switch src.Kind {
	case RegistryKind:
		if src.ProfileID != "" {
			if p, ok := c.lookup("image.source.profileId", src.ProfileID, "source registry"); ok {
				if p.Kind != credentials.KindRegistry {
					c.add("image.source.profileId", "%q is not a container registry profile; choose a registry profile, or none for public images", p.Name)
				} else {
					srcHost = p.Host
				}
			}
		}
		if len(src.References) == 0 {
			c.add("image.source.references", "enter at least one image reference, e.g. %s", exampleRef(srcHost))
		}
		for _, r := range src.References {
			if _, err := image.ParseSource(r, srcHost); err != nil {
				c.add("image.source.references", "%s", refMessage(err, r, srcHost))
			}
		}
	case ECRKind:
		c.ecrSide("image.source", src.ProfileID, src.Region, src.Account, "source")
		for _, r := range src.References {
			if _, err := image.ParseSource(r, "ecr.invalid"); err != nil {
				c.add("image.source.references", "%s", refMessage(err, r, "the ECR registry"))
			}
		}
		if src.RepoRegex != "" {
			if _, err := regexp.Compile(src.RepoRegex); err != nil {
				c.add("image.source.repoRegex", "not a regular expression: %v", err)
			}
		}
	case "":
		c.add("image.source.kind", "choose where the images come from: a registry or Amazon ECR")
	default:
		c.add("image.source.kind", "%q is not a source kind; choose registry or ecr", src.Kind)
	}
	if src.Kind != ECRKind && (src.RepoPrefix != "" || src.RepoRegex != "") {
		c.add("image.source.repoPrefix", "repository filters apply to a whole Amazon ECR source only")
	}

	switch dst.Kind {
	case RegistryKind:
		host := dst.Registry
		if dst.ProfileID != "" {
			if p, ok := c.lookup("image.destination.profileId", dst.ProfileID, "destination registry"); ok {
				if p.Kind != credentials.KindRegistry {
					c.add("image.destination.profileId", "%q is not a container registry profile; choose a registry profile", p.Name)
				} else {
					host = p.Host
				}
			}
		} else if host == "" {
			c.add("image.destination.registry", "choose the destination registry's credentials, or enter its host (e.g. registry.example.com:5000)")
		}
		if host != "" {
			d := host
			if dst.Prefix != "" {
				d += "/" + dst.Prefix
			}
			if _, err := image.ParseDestination(d); err != nil {
				field := "image.destination.prefix"
				if dst.ProfileID == "" && dst.Prefix == "" {
					field = "image.destination.registry"
				}
				c.add(field, "%v", err)
			}
		}
	case ECRKind:
		c.ecrSide("image.destination", dst.ProfileID, dst.Region, dst.Account, "destination")
		if dst.Prefix != "" {
			if _, err := image.ParseDestination("ecr.invalid/" + dst.Prefix); err != nil {
				c.add("image.destination.prefix", "%v", err)
			}
		}
	case "":
		c.add("image.destination.kind", "choose where the images go: a registry or Amazon ECR")
	default:
		c.add("image.destination.kind", "%q is not a destination kind; choose registry or ecr", dst.Kind)
	}
	if dst.Kind != ECRKind && (dst.ScanOnPush || dst.ImmutableTags || dst.KMSKey != "") {
		c.add("image.destination.kmsKey", "repository settings apply to Amazon ECR destinations only")
	}

	for _, p := range s.TagInclude {
		if _, err := regexp.Compile("^(?:" + p + ")$"); err != nil {
			c.add("image.tagInclude", "%q is not a regular expression: %v", p, err)
		}
	}
	for _, p := range s.TagExclude {
		if _, err := regexp.Compile("^(?:" + p + ")$"); err != nil {
			c.add("image.tagExclude", "%q is not a regular expression: %v", p, err)
		}
	}
	if s.Semver != "" {
		if _, err := semver.NewConstraint(s.Semver); err != nil {
			c.add("image.semver", "%q is not a version range; write e.g. >=1.2, <2 or ~1.4", s.Semver)
		}
	}
	if s.Latest < 0 || s.Latest > maxLatest {
		c.add("image.latest", "%d is out of range; enter 0 (all tags) to %d", s.Latest, maxLatest)
	}
	seen := map[string]bool{}
	for _, p := range s.Platforms {
		if msg := platformProblem(p); msg != "" {
			c.add("image.platforms", "%s", msg)
			continue
		}
		if seen[p] {
			c.add("image.platforms", "%s is listed twice", p)
		}
		seen[p] = true
	}
	c.concurrency("image.concurrency", s.Concurrency)
}

func (c *checker) ecrSide(field, profileID, region, account, what string) {
	if profileID == "" {
		c.add(field+".profileId", "choose the AWS credentials for the %s Amazon ECR", what)
	} else if p, ok := c.lookup(field+".profileId", profileID, what+" ECR"); ok {
		if p.Kind != credentials.KindAWS {
			c.add(field+".profileId", "%q is not an AWS profile; Amazon ECR needs AWS credentials", p.Name)
		} else {
			if region == "" {
				region = p.Region
			}
			if region == "" {
				c.add(field+".region", "choose the ECR region")
			} else if err := checkRegion(region, p.Partition); err != nil {
				c.add(field+".region", "%v", err)
			}
		}
	}
	if account != "" && !accountRE.MatchString(account) {
		c.add(field+".account", "%q is not an AWS account id: it is 12 digits", account)
	}
}

// Platform names Go and the OCI image spec know; a typo like linux/amd46 fails here
// rather than as "no matching platform" after the run started.
var (
	knownOS   = []string{"linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "plan9", "android", "ios", "js", "wasip1"}
	knownArch = []string{"amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "mips64le", "mips64", "mipsle", "mips", "loong64", "wasm"}
)

func platformProblem(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) < 2 || len(parts) > 3 || slicesHasEmpty(parts) {
		return fmt.Sprintf("%q is not a platform; write os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8", p)
	}
	if !contains(knownOS, parts[0]) {
		return fmt.Sprintf("%q: unknown operating system %q; use e.g. linux or windows", p, parts[0])
	}
	if !contains(knownArch, parts[1]) {
		return fmt.Sprintf("%q: unknown architecture %q; use e.g. amd64, arm64, arm, 386, ppc64le, s390x", p, parts[1])
	}
	if _, err := platform.Parse(p); err != nil {
		return fmt.Sprintf("%q is not a platform: %v", p, err)
	}
	return ""
}

func slicesHasEmpty(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return true
		}
	}
	return false
}

func exampleRef(host string) string {
	if host != "" {
		return "team/app:v1"
	}
	return "registry.example.com/team/app:v1"
}

// refMessage rewords image.ParseSource errors for a form where the registry may come from
// the chosen profile.
func refMessage(err error, ref, host string) string {
	msg := err.Error()
	if host != "" && strings.Contains(msg, "without a registry host") {
		return fmt.Sprintf("%q names a registry host; the registry is %s, so give the repository path only, e.g. team/app:v1", ref, host)
	}
	return msg
}

func (c *checker) schedule(s Schedule) {
	switch s.Kind {
	case ScheduleNone:
	case ScheduleInterval:
		d, err := time.ParseDuration(s.Every)
		switch {
		case s.Every == "":
			c.add("schedule.every", "enter how often the task runs, e.g. 30m, 6h or 24h")
		case err != nil:
			c.add("schedule.every", "%q is not a duration; write e.g. 30m, 6h or 24h", s.Every)
		case d < MinInterval:
			c.add("schedule.every", "%s is too often; runs must be at least %s apart", s.Every, MinInterval)
		}
	case ScheduleCron:
		if s.Cron == "" {
			c.add("schedule.cron", "enter a cron expression, e.g. 0 2 * * * (every day at 02:00)")
		} else if _, err := cron.ParseStandard(s.Cron); err != nil {
			c.add("schedule.cron", "%q is not a cron expression (minute hour day-of-month month day-of-week): %v", s.Cron, err)
		}
	default:
		c.add("schedule.kind", "%q is not a schedule; choose none, interval or cron", s.Kind)
	}
}

// cronSpec is the schedule in robfig/cron syntax ("" for none).
func (s Schedule) cronSpec() string {
	switch s.Kind {
	case ScheduleInterval:
		return "@every " + s.Every
	case ScheduleCron:
		return s.Cron
	}
	return ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func exampleAbs() string {
	if filepath.Separator == '\\' {
		return `C:\Users\you\data`
	}
	return "/home/you/data"
}

func parseBytes(v string) (int64, error) {
	n, err := humanize.ParseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size; write a number with a unit, e.g. 512KiB, 10MB or 5GiB", v)
	}
	return int64(n), nil
}
