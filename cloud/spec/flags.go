package spec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

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
	fs.StringVar(&fl.LifecycleHook, "lifecycle-hook", "", "on an Auto Scaling instance: the group's terminate lifecycle hook; when the instance's target lifecycle state turns Terminated the worker stops as on SIGTERM and completes the hook's action (needs --asg-name)")
	fs.StringVar(&fl.GroupName, "asg-name", "", "the Auto Scaling group of the instance (with --lifecycle-hook)")
	fs.StringVar(&fl.InstanceID, "instance-id", "", "the instance's id (with --lifecycle-hook; default: from the instance metadata service)")
	fs.StringVar(&fl.IMDSEndpoint, "imds-endpoint", "", "the instance metadata service (IMDSv2; default http://169.254.169.254)")
	fs.DurationVar((*time.Duration)(&fl.LifecyclePoll), "lifecycle-poll", 5*time.Second, "read the instance's target lifecycle state this often (with --lifecycle-hook)")
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
	fs.BoolVar(&o.DeleteEmptySource, "delete-empty-source", false, "let --delete act when the source lists no object (refused by default: a mistyped prefix would empty the destination)")
	fs.IntVar(&o.MaxDelete, "max-delete", 0, "with --delete, delete at most this many objects per run; the run fails naming what was left (default: no bound)")
	f.optionNames("prefixList:prefix-list", "listWorkers:list-workers", "splitFlatLevels:split-flat-levels", "delete",
		"deleteEmptySource:delete-empty-source", "maxDelete:max-delete")
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
	fs.StringVar(&o.Tags, "tags", "", "tags for destination objects, URL-encoded (k1=v1&k2=v2), instead of the source objects' own")
	fs.BoolVar(&o.NoTags, "no-tags", false, "leave the source objects' tags out of the copies (copied by default where both stores keep tags)")
	fs.BoolVar(&o.NoSrcETag, "no-src-etag", false, "write no x-amz-meta-thub-src-etag on copies whose ETag differs from the source's (then only this task's state recognises them)")
	f.optionNames("storageClass:storage-class", "acl", "sse", "sseKmsKeyId:sse-kms-key-id", "tags", "noTags:no-tags", "noSrcEtag:no-src-etag")
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
		given := map[string]string{} // where each key came from: its flag or its variable
		for _, kv := range []struct {
			v          *string
			name, flag string
		}{{&k.AccessKeyID, "ACCESS_KEY_ID", "access-key"}, {&k.SecretAccessKey, "SECRET_ACCESS_KEY", "secret-key"}, {&k.SessionToken, "SESSION_TOKEN", ""}} {
			given[kv.name] = "--" + x.r.Flag() + "-" + kv.flag
			if *kv.v == "" {
				*kv.v, _ = lookup(env + kv.name)
				given[kv.name] = env + kv.name
			}
		}
		halfKeys(&l, *k, x.r, given, env)
	}
	return l.Err("arguments")
}

// halfKeys: one half of a key pair says which flag or variable gives the other (the
// spec's own check cannot name them).
func halfKeys(l *invalid.List, k Keys, r Role, given map[string]string, env string) {
	flag := "--" + r.Flag() + "-"
	switch {
	case k.AccessKeyID != "" && k.SecretAccessKey == "":
		l.Add(given["ACCESS_KEY_ID"], fmt.Sprintf("the %s's access key id has no secret access key; give it with %ssecret-key or the variable %sSECRET_ACCESS_KEY", r, flag, env))
	case k.AccessKeyID == "" && k.SecretAccessKey != "":
		l.Add(given["SECRET_ACCESS_KEY"], fmt.Sprintf("the %s's secret access key has no access key id; give it with %saccess-key or the variable %sACCESS_KEY_ID", r, flag, env))
	}
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
		"visibility", "retry-delay", "receive-wait", "idle-check", "max-delete")
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
