package spec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"transferhub/cloud/image"
	"transferhub/cloud/invalid"
	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// Command-line binding: the flags of `thub s3 sync|find|work` and `thub image
// sync|copy`, `thub lambda image-list` are registered here, bound to an Agent, so that
// parsing them fills the spec. Flag names, defaults and help texts are the CLI's
// (cloud/docs/s3.md, image.md, cloud-run.md).

// Names maps the spec's field paths to what a command calls them (a flag, an argument
// or a variable), for messages.
type Names struct {
	byField map[string]string
	cloud   bool              // also name the THUB_* variable
	env     map[string]string // field -> variable
}

func newNames(t state.TaskType, cloud bool) *Names {
	n := &Names{byField: map[string]string{}, cloud: cloud, env: map[string]string{}}
	for _, v := range variables(t) {
		if v.field != "" && n.env[v.field] == "" {
			n.env[v.field] = v.name
		}
	}
	return n
}

func (n *Names) add(field, name string) { n.byField[field] = name }

// Name is what the command calls the field at path, falling back to its parents
// ("s3.source.bucket" -> "SRC"), then to the variable, then to the path itself.
func (n *Names) Name(path string) string {
	if _, ok := n.byField[path]; !ok && n.cloud && n.env[path] != "" {
		return n.env[path] // a setting the cloud commands take from the environment only
	}
	for p := path; p != ""; {
		if name, ok := n.byField[p]; ok {
			if v := n.env[p]; n.cloud && v != "" && strings.HasPrefix(name, "--") {
				return name + " (" + v + ")"
			}
			return name
		}
		i := strings.LastIndex(p, ".")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	if v := n.env[path]; v != "" {
		return v
	}
	return path
}

// Explain renames the fields of a validation error to what the command calls them;
// other errors are returned as they are.
func (n *Names) Explain(err error) error {
	var e *invalid.Error
	if !errors.As(err, &e) {
		return err
	}
	var l invalid.List
	for _, f := range e.Fields {
		l.Add(n.Name(f.Field), f.Message)
	}
	return l.Err("arguments")
}

// --- S3 ------------------------------------------------------------------------------

// S3Flags are the S3 flags of one command, bound to A.
type S3Flags struct {
	A     *Agent
	Names *Names
	cloud bool
	fs    *pflag.FlagSet
}

// BindS3Sync registers the flags of `thub s3 sync` (sides, selection, listing, transfer,
// write); its SRC and DST arguments are read by Args.
func BindS3Sync(fs *pflag.FlagSet, a *Agent) *S3Flags {
	f := &S3Flags{A: a, Names: newNames(state.TaskS3, false), fs: fs}
	f.Names.add("s3.source", "SRC")
	f.Names.add("s3.destination", "DST")
	s := a.Task.S3
	f.syncSide(fs, &s.Source, RoleSource)
	f.syncSide(fs, &s.Destination, RoleDestination)
	f.selection(fs)
	f.listing(fs)
	f.transfer(fs)
	f.write(fs)
	return f
}

// BindS3Cloud registers the flags of `thub s3 find` (worker false) or `thub s3 work`.
func BindS3Cloud(fs *pflag.FlagSet, a *Agent, worker bool) *S3Flags {
	f := &S3Flags{A: a, Names: newNames(state.TaskS3, true), cloud: true, fs: fs}
	f.process(fs, "the task's schedule expression; empty = one-time task (its run ends COMPLETED, not IDLE)",
		"the task's DynamoDB table", "AWS region of the queue, table and secrets (default: AWS_REGION)")
	fs.StringVar(&a.QueueURL, "queue-url", "", "URL of the task's SQS job queue")
	fs.StringVar(&a.DLQURL, "dlq-url", "", "URL of the dead-letter queue (default: from the job queue's redrive policy)")
	f.cloudSide(fs, &a.Task.S3.Source, RoleSource)
	f.cloudSide(fs, &a.Task.S3.Destination, RoleDestination)
	fs.DurationVar((*time.Duration)(&a.SecretRefresh), "secret-refresh", time.Hour, "re-read far-side keys from Secrets Manager this often (and after any 401/403)")
	f.selection(fs)
	f.transfer(fs)
	f.write(fs)
	fl := &a.Fleet
	if !worker {
		f.listing(fs)
		fs.IntVar(&fl.BatchObjects, "batch-objects", 200, "objects per job message")
		fs.DurationVar((*time.Duration)(&fl.LeaseTTL), "lease-ttl", time.Minute, "the finder lease lapses this long after a finder dies")
		return f
	}
	fs.StringVar(&fl.GiantThreshold, "giant-threshold", "1GiB", "objects of at least this size are split into part jobs across the fleet")
	fs.IntVar(&fl.MaxReceives, "max-receives", 0, "deliveries before an object is recorded FAILED and its job dead-lettered (0: the queue's maxReceiveCount, else 5)")
	fs.DurationVar((*time.Duration)(&fl.Visibility), "visibility", 60*time.Second, "a received message stays hidden this long, extended every third of it while it runs")
	fs.DurationVar((*time.Duration)(&fl.RetryDelay), "retry-delay", 10*time.Second, "first wait before a failed message is delivered again (doubles per delivery)")
	fs.DurationVar((*time.Duration)(&fl.Grace), "grace", 20*time.Second, "on SIGTERM, in-flight messages may finish for this long; the rest are released")
	fs.DurationVar((*time.Duration)(&fl.ReceiveWait), "receive-wait", 20*time.Second, "long-poll wait of one receive")
	fs.StringVar(&a.Task.S3.Events, "events", "none", "S3 event notifications on the queue: none, create (ObjectCreated copies), create-and-delete (ObjectRemoved deletes the copy)")
	fs.IntVar(&fl.Attempts, "attempts", 5, "attempts per object within one delivery")
	fs.DurationVar((*time.Duration)(&fl.IdleCheck), "idle-check", 30*time.Second, "while the queue is empty, check this often whether the run is over")
	f.Names.add("s3.events", "--events")
	return f
}

// process registers the flags every cloud process has: the task and where its state is.
func (f *S3Flags) process(fs *pflag.FlagSet, scheduleHelp, tableHelp, regionHelp string) {
	bindProcess(fs, f.A, scheduleHelp, tableHelp, regionHelp)
	f.Names.add("schedule", "--schedule")
}

func bindProcess(fs *pflag.FlagSet, a *Agent, scheduleHelp, tableHelp, regionHelp string) {
	fs.StringVar(&a.TaskID, "task-id", "", "task id (the key of the task in the table)")
	fs.StringVar(&a.TaskName, "task-name", "", "task name, used only when the task record does not exist yet")
	fs.Var(scheduleValue{&a.Task.Schedule}, "schedule", scheduleHelp)
	fs.StringVar(&a.Table, "table", "", tableHelp)
	fs.StringVar(&a.Region, "region", "", regionHelp)
}

// checksumsHelp is the help of --<side>-checksums.
func checksumsHelp(what string) string {
	return "full-object CRC-64/NVME checksums for the " + what + ": on (read the source's and verify copies against them; send them with writes, which the store verifies), off, or auto (on for Amazon S3 only)"
}

func (f *S3Flags) syncSide(fs *pflag.FlagSet, s *Side, r Role) {
	side, what, env := r.Flag(), string(r), "THUB_"+strings.ToUpper(r.Flag())
	fs.StringVar(&s.AWSProfile, side+"-profile", "", "AWS shared-config profile for the "+what+" (SSO, credential_process, endpoint_url are honoured)")
	fs.StringVar(&s.Endpoint, side+"-endpoint", "", "custom S3 endpoint URL for the "+what)
	fs.StringVar(&s.Region, side+"-region", "", "region of the "+what+" (default: an Amazon S3 bucket is found where it lives; others use the profile's or the preset's)")
	fs.StringVar(&s.Provider, side+"-provider", "", "provider preset of the "+what+": "+strings.Join(objstore.Providers(), ", "))
	fs.StringVar(&s.Addressing, side+"-addressing", "", "bucket addressing for the "+what+": path or virtual (default: the preset's)")
	fs.StringVar(&s.Keys.AccessKeyID, side+"-access-key", "", "static access key id for the "+what+" (or env "+env+"_ACCESS_KEY_ID)")
	fs.StringVar(&s.Keys.SecretAccessKey, side+"-secret-key", "", "static secret key for the "+what+" (prefer env "+env+"_SECRET_ACCESS_KEY)")
	fs.BoolVar(&s.Anonymous, side+"-anonymous", false, "unsigned, anonymous access to the "+what)
	fs.BoolVar(&s.RequesterPays, side+"-requester-pays", false, "requester pays for the "+what)
	fs.StringVar(&s.RoleARN, side+"-role-arn", "", "IAM role to assume for the "+what)
	fs.StringVar(&s.ExternalID, side+"-external-id", "", "external id for assuming the "+what+" role")
	fs.StringVar(&s.Checksums, side+"-checksums", "auto", checksumsHelp(what))
	f.sideNames(r, map[string]string{"awsProfile": "profile", "endpoint": "endpoint", "region": "region", "provider": "provider",
		"addressing": "addressing", "keys": "access-key", "anonymous": "anonymous", "requesterPays": "requester-pays",
		"roleArn": "role-arn", "externalId": "external-id", "checksums": "checksums"})
}

func (f *S3Flags) cloudSide(fs *pflag.FlagSet, s *Side, r Role) {
	side, what := r.Flag(), string(r)
	fs.Var(sideValue{s}, side, "the "+what+": s3://bucket[/prefix]")
	fs.StringVar(&s.Endpoint, side+"-endpoint", "", "custom S3 endpoint URL of the "+what)
	fs.StringVar(&s.Region, side+"-region", "", "region of the "+what)
	fs.StringVar(&s.Provider, side+"-provider", "", "provider preset of the "+what+": "+strings.Join(objstore.Providers(), ", "))
	fs.StringVar(&s.Addressing, side+"-addressing", "", "bucket addressing of the "+what+": path or virtual")
	fs.BoolVar(&s.Anonymous, side+"-anonymous", false, "unsigned, anonymous access to the "+what)
	fs.BoolVar(&s.RequesterPays, side+"-requester-pays", false, "requester pays for the "+what)
	fs.StringVar(&s.SecretARN, side+"-secret-arn", "", "Secrets Manager secret (ARN or name) with the "+what+"'s keys: {\"access_key_id\",\"secret_access_key\"[,\"session_token\"]}")
	fs.StringVar(&s.RoleARN, side+"-role-arn", "", "IAM role to assume for the "+what+" (on top of the secret or the instance role)")
	fs.StringVar(&s.ExternalID, side+"-external-id", "", "external id for assuming the "+what+" role")
	fs.StringVar(&s.Checksums, side+"-checksums", "auto", checksumsHelp(what))
	f.Names.add("s3."+string(r), "--"+side)
	f.sideNames(r, map[string]string{"endpoint": "endpoint", "region": "region", "provider": "provider", "addressing": "addressing",
		"anonymous": "anonymous", "requesterPays": "requester-pays", "secretArn": "secret-arn", "roleArn": "role-arn",
		"externalId": "external-id", "checksums": "checksums"})
}

func (f *S3Flags) sideNames(r Role, m map[string]string) {
	for field, flag := range m {
		f.Names.add("s3."+string(r)+"."+field, "--"+r.Flag()+"-"+flag)
	}
}

// selection: which objects, and how a copy is known to be current.
func (f *S3Flags) selection(fs *pflag.FlagSet) {
	o := &f.A.Task.S3.S3Options
	fs.StringVar(&o.Compare, "compare", "size+etag", "how to tell a copy is current: size+etag, size, checksum, none")
	fs.StringArrayVar(&o.Include, "include", nil, "copy only keys matching this glob (repeatable; * within a segment, ** across)")
	fs.StringArrayVar(&o.Exclude, "exclude", nil, "skip keys matching this glob (repeatable)")
	fs.StringArrayVar(&o.Prefixes, "prefix", nil, "copy only keys under this prefix, relative to the source (repeatable)")
	fs.StringVar(&o.MinSize, "min-size", "", "skip objects smaller than this (e.g. 1KiB)")
	fs.StringVar(&o.MaxSize, "max-size", "", "skip objects larger than this (e.g. 5GiB)")
	fs.StringVar(&o.ModifiedAfter, "modified-after", "", "copy only objects modified after this time (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&o.ModifiedBefore, "modified-before", "", "copy only objects modified before this time (RFC 3339 or YYYY-MM-DD)")
	f.optionNames("compare", "include", "exclude", "prefixes:prefix", "minSize:min-size", "maxSize:max-size",
		"modifiedAfter:modified-after", "modifiedBefore:modified-before")
}

// listing: the finder's flags.
func (f *S3Flags) listing(fs *pflag.FlagSet) {
	o := &f.A.Task.S3.S3Options
	fs.StringVar(&o.PrefixList, "prefix-list", "", "file with one prefix per line, relative to the source")
	fs.IntVar(&o.ListWorkers, "list-workers", 16, "parallel listings per side")
	fs.BoolVar(&o.SplitFlatLevels, "split-flat-levels", false, "list huge flat levels as parallel StartAfter ranges (helps on Amazon S3; slower on file-system gateways)")
	fs.BoolVar(&o.Delete, "delete", false, "delete destination objects the source lacks (within the selection)")
	f.optionNames("prefixList:prefix-list", "listWorkers:list-workers", "splitFlatLevels:split-flat-levels", "delete")
}

// transfer: how objects are moved.
func (f *S3Flags) transfer(fs *pflag.FlagSet) {
	o := &f.A.Task.S3.S3Options
	fs.IntVar(&o.Concurrency, "concurrency", 64, "object and part transfers in flight per process (lowered automatically on throttling)")
	fs.StringVar(&o.PartSize, "part-size", "8MiB", "multipart part size when the source layout cannot be reproduced")
	fs.StringVar(&o.MultipartThreshold, "multipart-threshold", "16MiB", "objects above this size are copied in parts")
	fs.StringVar(&o.MaxMemory, "max-memory", "256MiB", "bound on bytes buffered in flight per process")
	fs.StringVar(&o.ServerSide, "server-side", "auto", "server-side copy: auto (when one credential set reaches both sides), never, always")
	fs.DurationVar((*time.Duration)(&o.StallTimeout), "stall-timeout", 60*time.Second, "kill a connection that moves no byte for this long")
	f.optionNames("concurrency", "partSize:part-size", "multipartThreshold:multipart-threshold", "maxMemory:max-memory",
		"serverSide:server-side", "stallTimeout:stall-timeout")
}

// write: how copies are stored at the destination.
func (f *S3Flags) write(fs *pflag.FlagSet) {
	o := &f.A.Task.S3.S3Options
	fs.StringVar(&o.StorageClass, "storage-class", "", "destination storage class (e.g. STANDARD_IA, INTELLIGENT_TIERING)")
	fs.StringVar(&o.ACL, "acl", "", "destination canned ACL (e.g. bucket-owner-full-control)")
	fs.StringVar(&o.SSE, "sse", "", "destination server-side encryption: AES256 or aws:kms")
	fs.StringVar(&o.SSEKMSKeyID, "sse-kms-key-id", "", "KMS key id for --sse aws:kms")
	fs.StringVar(&o.Tags, "tags", "", "tags for destination objects, URL-encoded (k1=v1&k2=v2)")
	f.optionNames("storageClass:storage-class", "acl", "sse", "sseKmsKeyId:sse-kms-key-id", "tags")
}

// optionNames records "field:flag" (or "name" when both are the same) under "s3.".
func (f *S3Flags) optionNames(pairs ...string) {
	for _, p := range pairs {
		field, flag, ok := strings.Cut(p, ":")
		if !ok {
			flag = field
		}
		f.Names.add("s3."+field, "--"+flag)
	}
}

// Args completes the spec of `thub s3 sync` from its SRC and DST arguments and the
// keys in THUB_SRC_* / THUB_DST_* variables (a flag wins over its variable; a side
// given --*-anonymous or --*-profile takes no keys from the environment).
func (f *S3Flags) Args(src, dst string, lookup func(string) (string, bool)) error {
	var l invalid.List
	s := f.A.Task.S3
	for _, x := range []struct {
		arg  string
		side *Side
		r    Role
		name string
	}{{src, &s.Source, RoleSource, "SRC"}, {dst, &s.Destination, RoleDestination, "DST"}} {
		p, err := ParseSide(x.arg)
		if err != nil {
			l.Add(x.name, err.Error())
			continue
		}
		x.side.Kind, x.side.Bucket, x.side.Prefix, x.side.Path = p.Kind, p.Bucket, p.Prefix, p.Path
		if x.side.Kind == KindLocal {
			if x.side.Checksums == "auto" {
				x.side.Checksums = "" // the flag's default, not a setting of a folder
			}
			continue
		}
		if x.side.Anonymous || x.side.AWSProfile != "" {
			continue // an explicit choice wins over keys lying around in the environment
		}
		env := "THUB_" + strings.ToUpper(x.r.Flag()) + "_"
		k := &x.side.Keys
		for _, kv := range []struct {
			v    *string
			name string
		}{{&k.AccessKeyID, "ACCESS_KEY_ID"}, {&k.SecretAccessKey, "SECRET_ACCESS_KEY"}, {&k.SessionToken, "SESSION_TOKEN"}} {
			if *kv.v == "" {
				*kv.v, _ = lookup(env + kv.name)
			}
		}
	}
	return l.Err("arguments")
}

// Env applies the environment to the cloud commands' flags (see ApplyEnv).
func (f *S3Flags) Env(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	if err := ApplyEnv(f.A, PFlags(fs), lookup); err != nil {
		return err
	}
	for _, s := range []*Side{&f.A.Task.S3.Source, &f.A.Task.S3.Destination} {
		if s.Kind == KindLocal && s.Checksums == "auto" {
			s.Checksums = ""
		}
		if s.Anonymous || s.AWSProfile != "" {
			s.Keys = Keys{} // as for thub s3 sync: the explicit choice wins over keys in the environment
		}
	}
	return nil
}

// Validate checks the spec (and, for the cloud commands, the process settings) and
// names every problem by its flag.
func (f *S3Flags) Validate() error {
	run := LocalRun
	if f.cloud {
		run = CloudRun
	}
	var l invalid.List
	if err := l.Merge("", f.A.Task.Validate(run)); err != nil {
		return err
	}
	positive(&l, f.fs, "list-workers", "concurrency", "stall-timeout", "batch-objects", "lease-ttl", "attempts",
		"visibility", "retry-delay", "receive-wait", "idle-check")
	notNegative(&l, f.fs, "max-receives", "grace")
	if f.cloud && f.fs.Lookup("giant-threshold") != nil {
		if n, err := ParseSize(f.A.Fleet.GiantThreshold); err != nil {
			l.Add("--giant-threshold", err.Error())
		} else if n < minPartSize {
			addf(&l, "--giant-threshold", "%s: use at least 5MiB (one part)", f.A.Fleet.GiantThreshold)
		}
	}
	return f.Names.Explain(l.Err("task"))
}

// positive refuses 0 (or less) given for flags where 0 would silently mean the default.
func positive(l *invalid.List, fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		fl := fs.Lookup(n)
		if fl == nil || !fl.Changed {
			continue
		}
		if v := fl.Value.String(); v == "0" || v == "0s" || strings.HasPrefix(v, "-") {
			if fl.Value.Type() == "duration" {
				addf(l, "--"+n, "%s: use a duration above 0, e.g. 60s", v)
			} else {
				addf(l, "--"+n, "%s is out of range; use at least 1", v)
			}
		}
	}
}

// notNegative refuses negative values.
func notNegative(l *invalid.List, fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		if fl := fs.Lookup(n); fl != nil && strings.HasPrefix(fl.Value.String(), "-") {
			addf(l, "--"+n, "%s is out of range; use 0 or more", fl.Value.String())
		}
	}
}

// --- images --------------------------------------------------------------------------

// ImageFlags are the image flags of one command, bound to A.
type ImageFlags struct {
	A     *Agent
	Names *Names
	cloud bool
	// command-line forms read by Args (sync) or kept apart until then
	dstPrefix          string
	srcCreds, dstCreds string
	fs                 *pflag.FlagSet
}

// BindImageSync registers the flags `thub image sync` shares with the spec: engine,
// selection, --list, --referrers-recheck, --no-docker-config and the logins.
func BindImageSync(fs *pflag.FlagSet, a *Agent) *ImageFlags {
	f := &ImageFlags{A: a, Names: newNames(state.TaskImage, false), fs: fs}
	f.engine(fs)
	f.selection(fs)
	im := a.Task.Image
	fs.StringArrayVar(&im.Source.Lists, "list", nil, "file of source references, one per line or comma-separated (repeatable)")
	fs.BoolVar(&im.RecheckReferrers, "referrers-recheck", false, "also copy referrers added to images the destination already has (a tag listing and referrer queries per repository: re-runs are no longer HEAD-only)")
	fs.StringVar(&f.srcCreds, "src-creds", "", "USER[:PASSWORD] for the source registries (password also from THUB_SRC_PASSWORD)")
	fs.StringVar(&f.dstCreds, "dst-creds", "", "USER[:PASSWORD] for the destination registry (password also from THUB_DST_PASSWORD)")
	fs.BoolVar(&im.NoDockerConfig, "no-docker-config", false, "ignore ~/.docker/config.json and credential helpers")
	f.Names.add("image.source", "SRC")
	f.Names.add("image.source.lists", "--list")
	f.Names.add("image.destination", "DST")
	f.Names.add("image.recheckReferrers", "--referrers-recheck")
	return f
}

// BindImageCloud registers the flags of `thub image copy` (selection false) or
// `thub lambda image-list`.
func BindImageCloud(fs *pflag.FlagSet, a *Agent, selection bool) *ImageFlags {
	f := &ImageFlags{A: a, Names: newNames(state.TaskImage, true), cloud: true, fs: fs}
	bindProcess(fs, a, "the task's schedule; empty = one-time task (its run ends COMPLETED, not IDLE)",
		"the task's DynamoDB table (per-image records)", "AWS region of the table and secrets (default: AWS_REGION)")
	f.Names.add("schedule", "--schedule")
	f.engine(fs)
	im := a.Task.Image
	fs.StringVar(&im.Source.SecretARN, "src-secret-arn", "", `secret with the source's credentials: {"username","password"} for a registry, or {"access_key_id","secret_access_key"} for ECR`)
	fs.StringVar(&im.Destination.SecretARN, "dst-secret-arn", "", "secret with the destination's credentials (as --src-secret-arn)")
	fs.DurationVar((*time.Duration)(&a.SecretRefresh), "secret-refresh", time.Hour, "re-read credentials from Secrets Manager this often (and after a 401)")
	f.Names.add("image.source.secretArn", "--src-secret-arn")
	f.Names.add("image.destination.secretArn", "--dst-secret-arn")
	if !selection {
		return f
	}
	fs.StringArrayVar(&im.Source.References, "image-sources", nil, "source references: registry/repo:tag, @digest or :ALL_TAGS (repeatable; comma-separated in THUB_IMAGE_SOURCES)")
	fs.Var(listFileValue{&im.Source.Lists}, "image-list", "file of source references")
	fs.Var(destValue{&im.Destination}, "image-dest", "destination registry[/prefix] (or --dst-ecr)")
	f.selection(fs)
	f.Names.add("image.source", "--image-sources")
	f.Names.add("image.source.lists", "--image-list")
	f.Names.add("image.destination", "--image-dest")
	return f
}

// engine: the ECR sides, settings of created repositories, platforms, referrers, tuning
// and TLS.
func (f *ImageFlags) engine(fs *pflag.FlagSet) {
	im := f.A.Task.Image
	src, dst, o := &im.Source, &im.Destination, &im.ImageOptions
	fs.Var(ecrValue{kind: &src.Kind, region: &src.Region}, "src-ecr", "source Amazon ECR region: every repository, or only the given source repositories (relative to it)")
	fs.StringVar(&src.Account, "src-account", "", "source ECR account id (default: the caller's)")
	fs.StringVar(&src.Endpoint, "src-ecr-endpoint", "", "source ECR API endpoint URL (emulators; AWS_ENDPOINT_URL_ECR also works)")
	fs.StringVar(&src.Host, "src-ecr-host", "", "source ECR registry host override (tests: a local registry)")
	fs.Var(ecrValue{kind: &dst.Kind, region: &dst.Region}, "dst-ecr", "destination Amazon ECR region (repositories created on demand)")
	fs.StringVar(&dst.Account, "dst-account", "", "destination ECR account id (default: the caller's)")
	fs.StringVar(&dst.Endpoint, "dst-ecr-endpoint", "", "destination ECR API endpoint URL")
	fs.StringVar(&dst.Host, "dst-ecr-host", "", "destination ECR registry host override (tests: a local registry)")
	fs.BoolVar(&dst.ScanOnPush, "ecr-scan-on-push", false, "created ECR repositories: scan images on push")
	fs.BoolVar(&dst.ImmutableTags, "ecr-immutable-tags", false, "created ECR repositories: IMMUTABLE tags")
	fs.StringVar(&dst.KMSKey, "ecr-kms-key", "", "created ECR repositories: KMS key ARN/id (default AES256)")
	fs.StringSliceVar(&o.Platforms, "platform", nil, "copy only these platforms of multi-platform images (os/arch[/variant], repeatable); rewrites the index, so its digest changes")
	fs.BoolVar(&o.Referrers, "referrers", true, "copy referrers (signatures, SBOMs, attestations) and sha256-*.sig/.att/.sbom tags")
	fs.IntVar(&o.Concurrency, "concurrency", image.DefaultImageConcurrency, "images copied in parallel")
	fs.IntVar(&o.HostConcurrency, "host-concurrency", image.DefaultHostConcurrency, "concurrent requests (blob transfers) per registry")
	fs.Float64Var(&o.ReqPerSec, "req-per-sec", 0, "max requests per second per registry (0: no limit)")
	fs.IntVar(&o.Attempts, "attempts", 3, "attempts per image for transient failures")
	fs.StringArrayVar(&o.InsecureHTTP, "insecure-http", nil, "registry host[:port] to reach over plain HTTP (repeatable)")
	fs.StringArrayVar(&o.CAFiles, "ca-file", nil, "extra trusted CA certificate (PEM) for registries (repeatable)")
	for field, flag := range map[string]string{
		"image.source.region": "src-ecr", "image.source.account": "src-account", "image.source.endpoint": "src-ecr-endpoint",
		"image.source.host": "src-ecr-host", "image.destination.region": "dst-ecr", "image.destination.account": "dst-account",
		"image.destination.endpoint": "dst-ecr-endpoint", "image.destination.host": "dst-ecr-host",
		"image.destination.scanOnPush": "ecr-scan-on-push", "image.destination.immutableTags": "ecr-immutable-tags",
		"image.destination.kmsKey": "ecr-kms-key", "image.platforms": "platform", "image.referrers": "referrers",
		"image.concurrency": "concurrency", "image.hostConcurrency": "host-concurrency", "image.reqPerSec": "req-per-sec",
		"image.attempts": "attempts", "image.insecureHttp": "insecure-http", "image.caFiles": "ca-file",
	} {
		f.Names.add(field, "--"+flag)
	}
}

// selection: which repositories and tags, and where at the destination.
func (f *ImageFlags) selection(fs *pflag.FlagSet) {
	im := f.A.Task.Image
	fs.StringVar(&im.Source.RepoPrefix, "repo-prefix", "", "with --src-ecr: only repositories starting with this")
	fs.StringVar(&im.Source.RepoRegex, "repo-regex", "", "with --src-ecr: only repositories matching this regular expression")
	fs.StringVar(&f.dstPrefix, "dst-prefix", "", "with --dst-ecr: repository prefix")
	fs.StringArrayVar(&im.TagInclude, "tag-include", nil, "ALL_TAGS: keep tags matching this regular expression (whole tag; repeatable)")
	fs.StringArrayVar(&im.TagExclude, "tag-exclude", nil, "ALL_TAGS: drop tags matching this regular expression (repeatable)")
	fs.StringVar(&im.Semver, "semver", "", `ALL_TAGS: keep version tags in this range, e.g. ">=1.2, <2"`)
	fs.IntVar(&im.Latest, "latest", 0, "ALL_TAGS: keep the N most recent tags (image creation time)")
	for field, flag := range map[string]string{
		"image.source.repoPrefix": "repo-prefix", "image.source.repoRegex": "repo-regex", "image.destination.prefix": "dst-prefix",
		"image.tagInclude": "tag-include", "image.tagExclude": "tag-exclude", "image.semver": "semver", "image.latest": "latest",
	} {
		f.Names.add(field, "--"+flag)
	}
}

// Args completes the spec of `thub image sync` from its SRC... DST arguments, --dst-prefix
// and the logins (--src-creds, --dst-creds with THUB_SRC_PASSWORD / THUB_DST_PASSWORD).
func (f *ImageFlags) Args(args []string, lookup func(string) (string, bool)) error {
	im := f.A.Task.Image
	src, dst := &im.Source, &im.Destination
	var srcArgs []string
	if dst.Kind == KindECR {
		srcArgs = args
		dst.Prefix = strings.Trim(f.dstPrefix, "/")
	} else {
		switch {
		case len(args) == 0:
			return errors.New("missing DST: thub image sync SRC... DST (or --dst-ecr REGION)")
		case len(args) == 1 && src.Kind != KindECR && len(src.Lists) == 0 && looksLikeSource(args[0]):
			return fmt.Errorf("missing destination: %s is a source image; give SRC... DST (DST is registry[/prefix]) or --dst-ecr REGION", args[0])
		case f.dstPrefix != "":
			return errors.New("--dst-prefix goes with --dst-ecr; otherwise write DST as registry/prefix")
		}
		srcArgs = args[:len(args)-1]
		d, err := image.ParseDestination(args[len(args)-1])
		if err != nil {
			return err
		}
		dst.Kind, dst.Registry, dst.Prefix = KindRegistry, d.Registry, d.Prefix
	}
	src.References = append(src.References, srcArgs...)
	if len(src.References) == 0 && len(src.Lists) == 0 && src.Kind != KindECR {
		return errors.New("no source: give SRC references, --list FILE or --src-ecr REGION")
	}
	var err error
	if src.Login, err = login(f.srcCreds, "THUB_SRC_PASSWORD", lookup); err != nil {
		return fmt.Errorf("--src-creds: %w", err)
	}
	if dst.Login, err = login(f.dstCreds, "THUB_DST_PASSWORD", lookup); err != nil {
		return fmt.Errorf("--dst-creds: %w", err)
	}
	return nil
}

// looksLikeSource reports whether a lone argument names an image (a tag or digest)
// rather than a destination registry[/prefix].
func looksLikeSource(arg string) bool {
	last := arg[strings.LastIndex(arg, "/")+1:]
	return strings.Contains(arg, "/") && (strings.Contains(last, ":") || strings.Contains(arg, "@"))
}

// login reads USER[:PASSWORD], the password from env when only the user is given.
func login(v, env string, lookup func(string) (string, bool)) (Login, error) {
	if v == "" {
		return Login{}, nil
	}
	user, pass, ok := strings.Cut(v, ":")
	if !ok {
		pass, _ = lookup(env)
		if pass == "" {
			return Login{}, fmt.Errorf("no password: write USER:PASSWORD or set %s", env)
		}
	}
	if user == "" {
		return Login{}, errors.New("empty user name")
	}
	return Login{User: user, Password: pass}, nil
}

// Env applies the environment to the cloud commands' flags (see ApplyEnv) and checks
// how the destination is given.
func (f *ImageFlags) Env(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	if err := ApplyEnv(f.A, PFlags(fs), lookup); err != nil {
		return err
	}
	dst := &f.A.Task.Image.Destination
	if dst.Kind == KindECR {
		if dst.Registry != "" {
			return errors.New("--image-dest and --dst-ecr exclude each other")
		}
		if fs.Changed("dst-prefix") {
			dst.Prefix = strings.Trim(f.dstPrefix, "/")
		}
	}
	return nil
}

// Validate checks the spec and names every problem by its flag. A copier (no
// selection) checks its engine settings only: its images come in the batch.
func (f *ImageFlags) Validate(selection bool) error {
	run := LocalRun
	if f.cloud {
		run = CloudRun
	}
	var l invalid.List
	var err error
	if selection {
		err = f.A.Task.Validate(run)
	} else {
		err = f.A.Task.Image.ValidateEngine()
	}
	if err := l.Merge("", err); err != nil {
		return err
	}
	positive(&l, f.fs, "concurrency", "host-concurrency", "attempts", "batch-size")
	return f.Names.Explain(l.Err("task"))
}

// --- flag values -----------------------------------------------------------------------

// PFlags adapts a pflag.FlagSet to FlagSet.
func PFlags(fs *pflag.FlagSet) FlagSet { return pflagSet{fs} }

type pflagSet struct{ fs *pflag.FlagSet }

func (p pflagSet) Has(name string) bool     { return p.fs.Lookup(name) != nil }
func (p pflagSet) Changed(name string) bool { return p.fs.Changed(name) }
func (p pflagSet) Set(name, v string) error {
	f := p.fs.Lookup(name)
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(splitList(v))
	}
	return f.Value.Set(v)
}
func (p pflagSet) Names() []string {
	var out []string
	p.fs.VisitAll(func(f *pflag.Flag) { out = append(out, f.Name) })
	return out
}

// sideValue is --src/--dst of the cloud commands: s3://bucket[/prefix].
type sideValue struct{ s *Side }

func (v sideValue) String() string {
	if v.s == nil || v.s.Kind == "" {
		return ""
	}
	return v.s.URL()
}
func (v sideValue) Type() string { return "string" }
func (v sideValue) Set(arg string) error {
	p, err := ParseSide(arg)
	if err != nil {
		return err
	}
	v.s.Kind, v.s.Bucket, v.s.Prefix, v.s.Path = p.Kind, p.Bucket, p.Prefix, p.Path
	return nil
}

// scheduleValue is --schedule: the expression form of Schedule.
type scheduleValue struct{ s *Schedule }

func (v scheduleValue) String() string {
	if v.s == nil {
		return ""
	}
	return v.s.String()
}
func (v scheduleValue) Type() string          { return "string" }
func (v scheduleValue) Set(expr string) error { *v.s = ParseSchedule(expr); return nil }

// ecrValue is --src-ecr/--dst-ecr: a region that makes the side an ECR.
type ecrValue struct{ kind, region *string }

func (v ecrValue) String() string {
	if v.region == nil || v.kind == nil || *v.kind != KindECR {
		return ""
	}
	return *v.region
}
func (v ecrValue) Type() string { return "string" }
func (v ecrValue) Set(region string) error {
	if region == "" {
		return nil
	}
	*v.kind, *v.region = KindECR, region
	return nil
}

// destValue is --image-dest: registry[/prefix].
type destValue struct{ d *ImageDestination }

func (v destValue) String() string {
	if v.d == nil || v.d.Kind != KindRegistry {
		return ""
	}
	return strings.TrimSuffix(v.d.Registry+"/"+v.d.Prefix, "/")
}
func (v destValue) Type() string { return "string" }
func (v destValue) Set(s string) error {
	host, prefix, _ := strings.Cut(strings.TrimSuffix(strings.TrimSpace(s), "/"), "/")
	v.d.Kind, v.d.Registry, v.d.Prefix = KindRegistry, host, prefix
	return nil
}

// listFileValue is --image-list: one file of references.
type listFileValue struct{ l *[]string }

func (v listFileValue) String() string {
	if v.l == nil || len(*v.l) == 0 {
		return ""
	}
	return strings.Join(*v.l, ",")
}
func (v listFileValue) Type() string { return "string" }
func (v listFileValue) Set(s string) error {
	*v.l = nil
	if s != "" {
		*v.l = []string{s}
	}
	return nil
}
