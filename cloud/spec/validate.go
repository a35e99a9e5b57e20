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

	"github.com/dustin/go-humanize"
	"github.com/robfig/cron/v3"

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
	if o.MaxDelete < 0 {
		addf(l, "s3.maxDelete", "%d is out of range; use at least 1 (without it deletions are not bounded)", o.MaxDelete)
	}
	if (o.MaxDelete != 0 || o.DeleteEmptySource) && !o.Delete {
		field := "s3.maxDelete"
		if o.MaxDelete == 0 {
			field = "s3.deleteEmptySource"
		}
		l.Add(field, "applies only with --delete, which is not given")
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
	if o.NoTags && o.Tags != "" {
		l.Add("s3.noTags", "leaves the source's tags out, while --tags gives the copies tags of its own: choose one")
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
