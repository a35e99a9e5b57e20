package spec

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/semver/v3"
	"github.com/dustin/go-humanize"
	"github.com/regclient/regclient/types/platform"
	"github.com/robfig/cron/v3"

	"transferhub/cloud/image"
	"transferhub/cloud/invalid"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
)

// Run says where a task runs: some settings only make sense in one place.
type Run int

const (
	// LocalRun: in the desktop app or `thub s3|image sync`, on this computer.
	LocalRun Run = iota
	// CloudRun: the agent's processes in the task's stack (buckets only, no local side).
	CloudRun
)

// Limits and choices of a task's fields; validation accepts exactly these.
var (
	CompareModes   = []string{string(s3sync.CompareSizeETag), string(s3sync.CompareSize), string(s3sync.CompareChecksum), string(s3sync.CompareNone)}
	ServerSides    = []string{string(s3sync.ServerSideAuto), string(s3sync.ServerSideNever), string(s3sync.ServerSideAlways)}
	StorageClasses = []string{"STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER",
		"DEEP_ARCHIVE", "REDUCED_REDUNDANCY"}
	CannedACLs = []string{"private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
		"bucket-owner-read", "bucket-owner-full-control"}
	SSEModes      = []string{"AES256", "aws:kms"}
	EventModes    = []string{"none", "create", "create-and-delete"}
	ChecksumModes = []string{"auto", "on", "off"}
	Addressings   = []string{"path", "virtual"}
)

const (
	MaxConcurrency      = 4096 // S3 transfers in flight per process
	MaxImageConcurrency = 1024 // images copied in parallel
	maxPrefixLength     = 1024
	maxLatest           = 10000
	minPartSize         = 5 << 20
	maxPartSize         = 5 << 30
	maxTags             = 10 // S3's limit per object
)

// Validate checks a spec without network calls and returns an *invalid.Error naming
// every bad field by its JSON path ("s3.source.bucket", "schedule.cron").
func (t Task) Validate(run Run) error {
	var l invalid.List
	switch {
	case t.S3 != nil && t.Image != nil:
		l.Add("type", "a task copies either S3 objects or container images, not both")
	case t.S3 != nil:
		t.S3.validate(&l, run)
	case t.Image != nil:
		t.Image.validate(&l)
	default:
		l.Add("type", "choose what the task copies: S3 objects or container images")
	}
	t.Schedule.validate(&l)
	return l.Err("task")
}

// addf adds a formatted message.
func addf(l *invalid.List, field, format string, args ...any) {
	l.Add(field, fmt.Sprintf(format, args...))
}

func (s S3) validate(l *invalid.List, run Run) {
	src := s.Source.validate(l, "s3.source", "source", run)
	dst := s.Destination.validate(l, "s3.destination", "destination", run)
	if src && dst {
		if msg := overlap(s.Source, s.Destination); msg != "" {
			field := "s3.destination.prefix"
			if s.Destination.Kind == KindLocal {
				field = "s3.destination.path"
			}
			l.Add(field, msg)
		}
	}
	o := s.S3Options
	if o.Compare != "" && o.Compare != "etag" && !slices.Contains(CompareModes, o.Compare) {
		addf(l, "s3.compare", "%q is not a compare mode; choose %s", o.Compare, strings.Join(CompareModes, ", "))
	}
	switch {
	case o.ServerSide != "" && !slices.Contains(ServerSides, o.ServerSide):
		addf(l, "s3.serverSide", "%q is not a choice; choose auto, never or always", o.ServerSide)
	case o.ServerSide == string(s3sync.ServerSideAlways) && (s.Source.Kind == KindLocal || s.Destination.Kind == KindLocal):
		l.Add("s3.serverSide", "always: a server-side copy needs buckets on both sides; choose auto or never")
	case o.ServerSide == string(s3sync.ServerSideAlways) && src && dst && !sameCredentials(s.Source, s.Destination):
		l.Add("s3.serverSide", "always: the source and destination are reached with different credentials, and a server-side copy needs one set that reads the source and writes the destination; use the same credentials for both, or choose auto or never")
	}
	local := s.Source.Kind == KindLocal
	for i, p := range o.Prefixes {
		if msg := prefixProblem(p, local); msg != "" {
			addf(l, "s3.prefixes", "line %d %s", i+1, msg)
		}
	}
	for _, g := range o.Include {
		if _, err := s3sync.Glob(g); err != nil {
			addf(l, "s3.include", "%v", err)
		}
	}
	for _, g := range o.Exclude {
		if _, err := s3sync.Glob(g); err != nil {
			addf(l, "s3.exclude", "%v", err)
		}
	}
	minSize, okMin := size(l, "s3.minSize", o.MinSize)
	maxSize, okMax := size(l, "s3.maxSize", o.MaxSize)
	if okMin && okMax && maxSize > 0 && minSize > maxSize {
		addf(l, "s3.maxSize", "the largest size (%s) is below the smallest (%s)", o.MaxSize, o.MinSize)
	}
	after, okA := date(l, "s3.modifiedAfter", o.ModifiedAfter)
	before, okB := date(l, "s3.modifiedBefore", o.ModifiedBefore)
	if okA && okB && !after.IsZero() && !before.IsZero() && !after.Before(before) {
		addf(l, "s3.modifiedBefore", "%s is not after %s; no object could match", o.ModifiedBefore, o.ModifiedAfter)
	}
	if o.ListWorkers < 0 {
		addf(l, "s3.listWorkers", "%d is out of range; use at least 1 parallel listing", o.ListWorkers)
	}
	if o.Concurrency < 0 || o.Concurrency > MaxConcurrency {
		addf(l, "s3.concurrency", "%d is out of range; enter a whole number from 1 to %d", o.Concurrency, MaxConcurrency)
	}
	part, okPart := size(l, "s3.partSize", o.PartSize)
	if okPart && o.PartSize != "" && (part < minPartSize || part > maxPartSize) {
		addf(l, "s3.partSize", "%s: S3 parts are 5 MiB to 5 GiB", o.PartSize)
	}
	if n, ok := size(l, "s3.multipartThreshold", o.MultipartThreshold); ok && o.MultipartThreshold != "" && n <= 0 {
		addf(l, "s3.multipartThreshold", "%s: objects above this size are copied in parts; use more than 0, e.g. 16MiB", o.MultipartThreshold)
	}
	if mem, ok := size(l, "s3.maxMemory", o.MaxMemory); ok && o.MaxMemory != "" {
		if !okPart || o.PartSize == "" {
			part = 8 << 20
		}
		if mem < part {
			addf(l, "s3.maxMemory", "%s is below one part (%s)", o.MaxMemory, humanize.IBytes(uint64(part)))
		}
	}
	if o.StallTimeout < 0 {
		addf(l, "s3.stallTimeout", "%s: use a positive duration, e.g. 60s", time.Duration(o.StallTimeout))
	}
	s.validateWrite(l)
	if o.Events != "" && !slices.Contains(EventModes, o.Events) {
		addf(l, "s3.events", "%q: use none, create or create-and-delete", o.Events)
	} else if o.Events != "" && o.Events != "none" && s.Source.Kind == KindLocal {
		l.Add("s3.events", "S3 event notifications come from a bucket; the source is a local folder")
	}
}

func (s S3) validateWrite(l *invalid.List) {
	o := s.S3Options
	if (o.StorageClass != "" || o.ACL != "" || o.SSE != "" || o.SSEKMSKeyID != "" || o.Tags != "") && s.Destination.Kind == KindLocal {
		l.Add("s3.storageClass", "storage class, ACL, encryption and tags apply to S3 destinations, not to a local folder")
	}
	if o.StorageClass != "" && !slices.Contains(StorageClasses, o.StorageClass) {
		addf(l, "s3.storageClass", "%q is not a storage class; choose %s", o.StorageClass, strings.Join(StorageClasses, ", "))
	}
	if o.ACL != "" && !slices.Contains(CannedACLs, o.ACL) {
		addf(l, "s3.acl", "%q is not a canned ACL; choose %s", o.ACL, strings.Join(CannedACLs, ", "))
	}
	if o.SSE != "" && !slices.Contains(SSEModes, o.SSE) {
		addf(l, "s3.sse", "%q is not an encryption mode; choose AES256 or aws:kms", o.SSE)
	}
	if o.SSEKMSKeyID != "" && o.SSE != "aws:kms" {
		l.Add("s3.sseKmsKeyId", "a KMS key applies only with aws:kms encryption")
	}
	if o.Tags != "" {
		if msg := tagsProblem(o.Tags); msg != "" {
			l.Add("s3.tags", msg)
		}
	}
}

// tagsProblem checks a URL-encoded tag set against S3's rules.
func tagsProblem(raw string) string {
	const hint = "write URL-encoded pairs, e.g. project=alpha&team=data%20lake"
	q, err := url.ParseQuery(raw)
	if err != nil {
		return fmt.Sprintf("%q is not a tag set; %s", raw, hint)
	}
	n := 0
	for _, pair := range strings.Split(raw, "&") {
		k, _, hasValue := strings.Cut(pair, "=")
		if k == "" || !hasValue {
			return fmt.Sprintf("%q is not a tag set (every tag is key=value); %s", raw, hint)
		}
	}
	for k, vs := range q {
		if len(vs) > 1 {
			return fmt.Sprintf("tag %q is given twice", k)
		}
		if utf8.RuneCountInString(k) > 128 {
			return fmt.Sprintf("tag key %q is longer than 128 characters", k)
		}
		if utf8.RuneCountInString(vs[0]) > 256 {
			return fmt.Sprintf("the value of tag %q is longer than 256 characters", k)
		}
		n++
	}
	if n > maxTags {
		return fmt.Sprintf("%d tags: S3 keeps at most %d per object", n, maxTags)
	}
	return ""
}

// prefixProblem describes what is wrong with a selection prefix ("" if nothing). On a
// local source a prefix is a path below the source folder and may not leave it.
func prefixProblem(p string, local bool) string {
	switch {
	case !utf8.ValidString(p):
		return "is not valid UTF-8"
	case strings.HasPrefix(p, "/"):
		return fmt.Sprintf("(%q) starts with \"/\"; prefixes are relative to the source, e.g. photos/2024/", p)
	case len(p) > maxPrefixLength:
		return fmt.Sprintf("is %d bytes long; S3 keys are at most %d", len(p), maxPrefixLength)
	case local && slices.Contains(strings.Split(filepath.ToSlash(p), "/"), ".."):
		return fmt.Sprintf("(%q) leaves the source folder; prefixes name folders below it", p)
	}
	return ""
}

// validate checks one side; it reports whether the side is usable for checks that
// involve both sides.
func (s Side) validate(l *invalid.List, field, what string, run Run) bool {
	n := len(l.Fields())
	switch s.Kind {
	case KindLocal:
		if run == CloudRun {
			addf(l, field+".kind", "a cloud run reads and writes buckets; the %s is a local folder", what)
		}
		switch {
		case s.Path == "":
			addf(l, field+".path", "enter the %s folder", what)
		case mistypedURL.MatchString(s.Path) && !strings.Contains(s.Path, "://"):
			addf(l, field+".path", "%q looks like a URL with a mistyped scheme: write s3://bucket[/prefix], or ./%s for a local folder", s.Path, s.Path)
		}
		for _, x := range []struct {
			set bool
			f   string
		}{
			{s.Provider != "", "provider"}, {s.Endpoint != "", "endpoint"}, {s.Region != "", "region"},
			{s.Addressing != "", "addressing"}, {s.RequesterPays, "requesterPays"}, {s.AWSProfile != "", "awsProfile"},
			{s.SecretARN != "", "secretArn"}, {s.RoleARN != "", "roleArn"}, {s.ExternalID != "", "externalId"},
			{s.Anonymous, "anonymous"}, {!s.Keys.IsZero(), "keys"},
		} {
			if x.set {
				addf(l, field+"."+x.f, "applies to buckets; the %s is a local folder", what)
			}
		}
	case KindS3:
		s.validateBucket(l, field, what)
	case "":
		addf(l, field+".kind", "choose whether the %s is a bucket or a folder on this computer", what)
	default:
		addf(l, field+".kind", "%q is not a location kind; choose s3 or local", s.Kind)
	}
	return len(l.Fields()) == n
}

var regionLike = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func (s Side) validateBucket(l *invalid.List, field, what string) {
	if err := objstore.ValidateBucket(s.Bucket); err != nil {
		if s.Bucket == "" {
			addf(l, field+".bucket", "enter the %s bucket name", what)
		} else {
			l.Add(field+".bucket", strings.TrimPrefix(err.Error(), fmt.Sprintf("invalid bucket name %q: ", s.Bucket)))
		}
	}
	if len(s.Prefix) > maxPrefixLength {
		addf(l, field+".prefix", "the prefix is %d bytes long; S3 keys are at most %d", len(s.Prefix), maxPrefixLength)
	} else if !utf8.ValidString(s.Prefix) {
		l.Add(field+".prefix", "the prefix is not valid UTF-8")
	}
	if s.Region != "" && !regionLike.MatchString(s.Region) {
		addf(l, field+".region", "%q is not a region name: use lowercase letters, digits and hyphens", s.Region)
	}
	if msg := endpointProblem(s.Endpoint); msg != "" {
		l.Add(field+".endpoint", msg)
	}
	if p, err := objstore.LookupProvider(s.Provider, s.Endpoint != ""); err != nil {
		addf(l, field+".provider", "%q is not a provider; choose %s", s.Provider, strings.Join(objstore.Providers(), ", "))
	} else if p.NeedsEndpoint && s.Endpoint == "" {
		addf(l, field+".endpoint", "the %s provider needs the endpoint URL of the %s's store", p.Name, what)
	}
	if s.Addressing != "" && !slices.Contains(Addressings, s.Addressing) {
		addf(l, field+".addressing", "%q: use path or virtual", s.Addressing)
	}
	if s.Checksums != "" && !slices.Contains(ChecksumModes, s.Checksums) {
		addf(l, field+".checksums", "%q: use on, off or auto", s.Checksums)
	}
	s.Access.validate(l, field, what)
}

// EndpointProblem describes what is wrong with a custom S3 endpoint URL ("" if nothing),
// including a scheme typed with one slash ("htp:/host"), which would otherwise read as
// a host called "htp".
func EndpointProblem(raw string) string { return endpointProblem(raw) }

func endpointProblem(raw string) string {
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") && mistypedURL.MatchString(raw) {
		return fmt.Sprintf("malformed endpoint %q: write the scheme with two slashes, e.g. https://s3.example.com or http://127.0.0.1:9000", raw)
	}
	if _, err := objstore.ValidateEndpoint(raw); err != nil {
		return err.Error()
	}
	return ""
}

func (a Access) validate(l *invalid.List, field, what string) {
	k := a.Keys
	switch {
	case k.AccessKeyID != "" && k.SecretAccessKey == "":
		addf(l, field+".keys", "the %s's access key id has no secret access key", what)
	case k.AccessKeyID == "" && k.SecretAccessKey != "":
		addf(l, field+".keys", "the %s's secret access key has no access key id", what)
	}
	keys := !k.IsZero()
	switch {
	case a.Anonymous && keys:
		addf(l, field+".anonymous", "anonymous access to the %s takes no keys; drop the keys or the anonymous access", what)
	case a.Anonymous && (a.AWSProfile != "" || a.SecretARN != "" || a.RoleARN != ""):
		addf(l, field+".anonymous", "anonymous access to the %s takes no profile, secret or role", what)
	case a.SecretARN != "" && (keys || a.AWSProfile != ""):
		addf(l, field+".secretArn", "the %s's keys come from the secret; give either the secret or keys or a profile, not both", what)
	case a.AWSProfile != "" && keys:
		addf(l, field+".awsProfile", "the %s gets credentials from the profile and from keys; give only one of them", what)
	}
	if a.ExternalID != "" && a.RoleARN == "" {
		addf(l, field+".externalId", "an external id goes with a role to assume; give the %s's role ARN too", what)
	}
	if a.RoleARN != "" && !strings.HasPrefix(a.RoleARN, "arn:") {
		addf(l, field+".roleArn", "%q is not a role ARN (arn:aws:iam::123456789012:role/name)", a.RoleARN)
	}
	if a.SecretARN != "" && strings.ContainsAny(a.SecretARN, " \t\r\n") {
		addf(l, field+".secretArn", "%q is not a secret ARN or name", a.SecretARN)
	}
}

// sameCredentials reports whether both sides are reached as one principal at one store
// (what a server-side copy needs).
func sameCredentials(a, b Side) bool {
	return a.Provider == b.Provider && a.Endpoint == b.Endpoint && a.AWSProfile == b.AWSProfile &&
		a.SecretARN == b.SecretARN && a.RoleARN == b.RoleARN && a.ExternalID == b.ExternalID &&
		a.Anonymous == b.Anonymous && a.Keys.AccessKeyID == b.Keys.AccessKeyID
}

// overlap describes how a destination overlaps its source ("" if it does not): a sync
// would read its own output.
func overlap(src, dst Side) string {
	if src.Kind != dst.Kind {
		return ""
	}
	switch src.Kind {
	case KindS3:
		if src.Bucket == dst.Bucket && src.Endpoint == dst.Endpoint && src.Provider == dst.Provider &&
			(src.Region == "" || dst.Region == "" || objstore.Partition(src.Region) == objstore.Partition(dst.Region)) &&
			(strings.HasPrefix(src.Prefix, dst.Prefix) || strings.HasPrefix(dst.Prefix, src.Prefix)) {
			return "the destination overlaps the source (same bucket, one prefix contains the other): a sync would read its own output"
		}
	case KindLocal:
		a, b := filepath.Clean(src.Path)+string(filepath.Separator), filepath.Clean(dst.Path)+string(filepath.Separator)
		if strings.HasPrefix(a, b) || strings.HasPrefix(b, a) {
			return "the destination folder overlaps the source folder: a sync would read its own output"
		}
	}
	return ""
}

func size(l *invalid.List, field, v string) (int64, bool) {
	if v == "" {
		return 0, true
	}
	n, err := ParseSize(v)
	if err != nil {
		l.Add(field, err.Error())
		return 0, false
	}
	return n, true
}

// ParseSize reads a size as typed ("512KiB", "10MB", "5 GiB").
func ParseSize(v string) (int64, error) {
	n, err := humanize.ParseBytes(v)
	if err != nil || strings.HasPrefix(strings.TrimSpace(v), "-") {
		return 0, fmt.Errorf("%q is not a size; write a number with a unit, e.g. 512KiB, 10MB or 5GiB", v)
	}
	return int64(n), nil
}

// ParseDate reads RFC 3339 or YYYY-MM-DD.
func ParseDate(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date; use YYYY-MM-DD or 2024-05-01T12:00:00Z", v)
}

func date(l *invalid.List, field, v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := ParseDate(v)
	if err != nil {
		l.Add(field, err.Error())
		return t, false
	}
	return t, true
}

var accountRE = regexp.MustCompile(`^\d{12}$`)

func (im Image) validate(l *invalid.List) {
	src, dst := im.Source, im.Destination
	switch src.Kind {
	case KindRegistry:
		if len(src.References) == 0 && len(src.Lists) == 0 {
			addf(l, "image.source.references", "enter at least one image reference, e.g. %s", exampleRef(src.Registry))
		}
		for _, r := range src.References {
			if _, err := image.ParseSource(r, src.Registry); err != nil {
				l.Add("image.source.references", refMessage(err, r, src.Registry))
			}
		}
	case KindECR:
		ecrSide(l, "image.source", src.Region, src.Account)
		for _, r := range src.References {
			if _, err := image.ParseSource(r, "ecr.invalid"); err != nil {
				l.Add("image.source.references", refMessage(err, r, "the ECR registry"))
			}
		}
		if src.RepoRegex != "" {
			if _, err := regexp.Compile(src.RepoRegex); err != nil {
				addf(l, "image.source.repoRegex", "not a regular expression: %v", err)
			}
		}
	case "":
		l.Add("image.source.kind", "choose where the images come from: a registry or Amazon ECR")
	default:
		addf(l, "image.source.kind", "%q is not a source kind; choose registry or ecr", src.Kind)
	}
	if src.Kind != KindECR && (src.RepoPrefix != "" || src.RepoRegex != "") {
		l.Add("image.source.repoPrefix", "repository filters apply to a whole Amazon ECR source only")
	}
	if src.Kind != KindECR && (src.Endpoint != "" || src.Host != "" || src.Account != "" || src.Region != "") {
		l.Add("image.source.region", "region, account, endpoint and host apply to an Amazon ECR source only")
	}
	switch dst.Kind {
	case KindRegistry:
		if dst.Registry == "" {
			l.Add("image.destination.registry", "no destination registry: enter its host, e.g. registry.example.com:5000")
		} else {
			d := dst.Registry
			if dst.Prefix != "" {
				d += "/" + dst.Prefix
			}
			if _, err := image.ParseDestination(d); err != nil {
				field := "image.destination.prefix"
				if dst.Prefix == "" {
					field = "image.destination.registry"
				}
				l.Add(field, err.Error())
			}
		}
	case KindECR:
		ecrSide(l, "image.destination", dst.Region, dst.Account)
		if dst.Prefix != "" {
			if _, err := image.ParseDestination("ecr.invalid/" + dst.Prefix); err != nil {
				l.Add("image.destination.prefix", err.Error())
			}
		}
	case "":
		l.Add("image.destination.kind", "choose where the images go: a registry or Amazon ECR")
	default:
		addf(l, "image.destination.kind", "%q is not a destination kind; choose registry or ecr", dst.Kind)
	}
	if dst.Kind != KindECR && (dst.ScanOnPush || dst.ImmutableTags || dst.KMSKey != "") {
		l.Add("image.destination.kmsKey", "repository settings apply to Amazon ECR destinations only")
	}
	if dst.Kind != KindECR && (dst.Endpoint != "" || dst.Host != "" || dst.Account != "" || dst.Region != "") {
		l.Add("image.destination.region", "region, account, endpoint and host apply to an Amazon ECR destination only")
	}
	im.ImageOptions.validate(l)
}

// ValidateEngine checks what an image copier uses of the spec (its images come in
// batches, already selected): the ECR sides and the copy options.
func (im Image) ValidateEngine() error {
	var l invalid.List
	if im.Source.Kind == KindECR {
		ecrSide(&l, "image.source", im.Source.Region, im.Source.Account)
	}
	if im.Destination.Kind == KindECR {
		ecrSide(&l, "image.destination", im.Destination.Region, im.Destination.Account)
	}
	im.ImageOptions.validate(&l)
	return l.Err("task")
}

func (o ImageOptions) validate(l *invalid.List) {
	for _, p := range o.TagInclude {
		if _, err := regexp.Compile("^(?:" + p + ")$"); err != nil {
			addf(l, "image.tagInclude", "%q is not a regular expression: %v", p, err)
		}
	}
	for _, p := range o.TagExclude {
		if _, err := regexp.Compile("^(?:" + p + ")$"); err != nil {
			addf(l, "image.tagExclude", "%q is not a regular expression: %v", p, err)
		}
	}
	if o.Semver != "" {
		if _, err := semver.NewConstraint(o.Semver); err != nil {
			addf(l, "image.semver", "%q is not a version range; write e.g. >=1.2, <2 or ~1.4", o.Semver)
		}
	}
	if o.Latest < 0 || o.Latest > maxLatest {
		addf(l, "image.latest", "%d is out of range; enter 0 (all tags) to %d", o.Latest, maxLatest)
	}
	seen := map[string]bool{}
	for _, p := range o.Platforms {
		if msg := platformProblem(p); msg != "" {
			l.Add("image.platforms", msg)
			continue
		}
		if seen[p] {
			addf(l, "image.platforms", "%s is listed twice", p)
		}
		seen[p] = true
	}
	if o.Concurrency < 0 || o.Concurrency > MaxImageConcurrency {
		addf(l, "image.concurrency", "%d is out of range; enter a whole number from 1 to %d", o.Concurrency, MaxImageConcurrency)
	}
	if o.HostConcurrency < 0 {
		addf(l, "image.hostConcurrency", "%d is out of range; use at least 1 request per registry", o.HostConcurrency)
	}
	if o.ReqPerSec < 0 {
		addf(l, "image.reqPerSec", "%g is a negative rate; use 0 (no limit) or more", o.ReqPerSec)
	}
	if o.Attempts < 0 {
		addf(l, "image.attempts", "%d is out of range; use at least 1 attempt", o.Attempts)
	}
	for _, h := range o.InsecureHTTP {
		if strings.TrimSpace(h) == "" || strings.Contains(h, "/") {
			addf(l, "image.insecureHttp", "%q is not a registry host[:port]", h)
		}
	}
}

func ecrSide(l *invalid.List, field, region, account string) {
	if region == "" {
		l.Add(field+".region", "choose the ECR region")
	} else if !regionLike.MatchString(region) {
		addf(l, field+".region", "%q is not a region name: use the form us-east-1", region)
	}
	if account != "" && !accountRE.MatchString(account) {
		addf(l, field+".account", "%q is not an AWS account id: it is 12 digits", account)
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
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return fmt.Sprintf("invalid platform %q: write os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8", p)
	}
	if !slices.Contains(knownOS, parts[0]) {
		return fmt.Sprintf("invalid platform %q: unknown operating system %q; use e.g. linux or windows", p, parts[0])
	}
	if !slices.Contains(knownArch, parts[1]) {
		return fmt.Sprintf("invalid platform %q: unknown architecture %q; use e.g. amd64, arm64, arm, 386, ppc64le, s390x", p, parts[1])
	}
	if _, err := platform.Parse(p); err != nil {
		return fmt.Sprintf("invalid platform %q: %v", p, err)
	}
	return ""
}

func exampleRef(host string) string {
	if host != "" {
		return "team/app:v1"
	}
	return "registry.example.com/team/app:v1"
}

// refMessage rewords image.ParseSource errors where the registry is given apart from
// the references (a profile's host, an ECR).
func refMessage(err error, ref, host string) string {
	msg := err.Error()
	if host != "" && strings.Contains(msg, "without a registry host") {
		return fmt.Sprintf("%q names a registry host; the registry is %s, so give the repository path only, e.g. team/app:v1", ref, host)
	}
	return msg
}

func (s Schedule) validate(l *invalid.List) {
	switch s.Kind {
	case ScheduleNone:
	case ScheduleInterval:
		d, err := time.ParseDuration(s.Every)
		switch {
		case s.Every == "":
			l.Add("schedule.every", "enter how often the task runs, e.g. 30m, 6h or 24h")
		case err != nil:
			addf(l, "schedule.every", "%q is not a duration; write e.g. 30m, 6h or 24h", s.Every)
		case d < MinInterval:
			addf(l, "schedule.every", "%s is too often; runs must be at least %s apart", s.Every, MinInterval)
		}
	case ScheduleCron:
		switch {
		case s.Cron == "":
			l.Add("schedule.cron", "enter a cron expression, e.g. 0 2 * * * (every day at 02:00)")
		case strings.Contains(s.Cron, "TZ="):
			l.Add("schedule.cron", "give the time zone in its own field, not in the cron expression")
		default:
			if _, err := cron.ParseStandard(s.Cron); err != nil {
				addf(l, "schedule.cron", "%q is not a cron expression (minute hour day-of-month month day-of-week): %v", s.Cron, err)
			}
		}
	case ScheduleOnce:
		if s.At == "" {
			l.Add("schedule.at", "enter when the task runs, e.g. 2026-05-01T02:00")
		} else if _, zerr := s.Location(false); zerr == nil { // a bad zone is reported below
			if _, err := s.AtTime(false); err != nil {
				l.Add("schedule.at", err.Error())
			}
		}
	default:
		addf(l, "schedule.kind", "%q is not a schedule; choose none, interval or cron (or once, for a cloud task)", s.Kind)
	}
	if s.TimeZone != "" {
		if _, err := s.Location(false); err != nil {
			l.Add("schedule.timeZone", err.Error())
		}
	}
}
