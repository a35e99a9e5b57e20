package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"transferhub/cloud/invalid"
	"transferhub/cloud/state"
)

// A variable is one THUB_* setting of the agent: its name, the flag of the cloud
// commands that sets the same thing, the spec field it fills (a JSON path, "" for a
// process setting) and how its text is read and written.
type variable struct {
	name, flag, field string
	get               func(a *Agent) string // "" or def: unset (Env leaves it out)
	set               func(a *Agent, v string) error
	def               string // the value that means "the default"
	secret            bool   // read from the environment, never written (keys)
}

// Variable describes one THUB_* variable the agent reads.
type Variable struct {
	Name  string // THUB_...
	Flag  string // the cloud commands' flag for it, without dashes ("" none)
	Field string // JSON path of the spec field it sets ("" for process settings)
}

// Variables lists the THUB_* variables the agent reads for a task of type t, by name.
func Variables(t state.TaskType) []Variable {
	var out []Variable
	for _, v := range variables(t) {
		out = append(out, Variable{Name: v.name, Flag: v.flag, Field: v.field})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Env is the agent's environment for this configuration: every setting that is not
// its default, as THUB_* variables (sorted "NAME=value" lines). Keys and passwords are
// never part of it: a stack hands the agent secret ARNs. Lists are comma-separated, or
// newline-separated when an item holds a comma.
func (a Agent) Env() []string {
	var out []string
	for _, v := range variables(a.Task.Type()) {
		if v.secret {
			continue
		}
		if s := v.get(&a); s != "" && s != v.def {
			out = append(out, v.name+"="+s)
		}
	}
	sort.Strings(out)
	return out
}

// Env is the spec's part of the agent's environment (see Agent.Env).
func (t Task) Env() []string { return Agent{Task: t}.Env() }

// FromEnv reads an agent's configuration for a task of type t from THUB_* variables
// (lookup is os.LookupEnv); unset or empty variables keep the defaults. Errors name
// the variable.
func FromEnv(t state.TaskType, lookup func(string) (string, bool)) (Agent, error) {
	a := NewAgent(t)
	var l invalid.List
	for _, v := range variables(t) {
		s, ok := lookup(v.name)
		if !ok || s == "" {
			continue
		}
		if err := v.set(&a, s); err != nil {
			l.Add(v.name, err.Error())
		}
	}
	return a, l.Err("environment")
}

// ApplyEnv sets a command's flags from the environment the way the cloud commands
// have always read it: a variable sets its flag unless the flag was given on the
// command line; variables of flags the command does not have are ignored, and those
// without any flag (keys) are read. The flags must be bound to a (S3Flags, ImageFlags).
// Flags the spec does not know (a command's own) come from THUB_<FLAG> as well.
func ApplyEnv(a *Agent, fs FlagSet, lookup func(string) (string, bool)) error {
	var l invalid.List
	known := map[string]bool{}
	for _, v := range variables(a.Task.Type()) {
		if v.flag != "" {
			known[v.flag] = true
		}
		s, ok := lookup(v.name)
		if !ok || s == "" {
			continue
		}
		if v.flag != "" && (!fs.Has(v.flag) || fs.Changed(v.flag)) {
			continue
		}
		if err := v.set(a, s); err != nil {
			l.Add(v.name, err.Error())
		}
	}
	for _, name := range fs.Names() {
		if known[name] || name == "help" || fs.Changed(name) {
			continue
		}
		env := "THUB_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		if s, ok := lookup(env); ok && s != "" {
			if err := fs.Set(name, s); err != nil {
				addf(&l, env, "%q: %v", s, err)
			}
		}
	}
	return l.Err("environment")
}

// FlagSet is what ApplyEnv needs of a command's flags (pflag.FlagSet via PFlags).
type FlagSet interface {
	Has(name string) bool
	Changed(name string) bool
	Names() []string
	Set(name, value string) error
}

// --- the table ------------------------------------------------------------------------

func variables(t state.TaskType) []variable {
	vs := []variable{
		str("THUB_TASK_ID", "task-id", "", func(a *Agent) *string { return &a.TaskID }),
		str("THUB_TASK_NAME", "task-name", "", func(a *Agent) *string { return &a.TaskName }),
		str("THUB_TABLE", "table", "", func(a *Agent) *string { return &a.Table }),
		str("THUB_REGION", "region", "", func(a *Agent) *string { return &a.Region }),
		dur("THUB_SECRET_REFRESH", "secret-refresh", "", func(a *Agent) *Duration { return &a.SecretRefresh }),
		str("THUB_LOG_LEVEL", "log-level", "", func(a *Agent) *string { return &a.LogLevel }),
		str("THUB_LOG_FORMAT", "log-format", "", func(a *Agent) *string { return &a.LogFormat }),
		{name: "THUB_SCHEDULE", flag: "schedule", field: "schedule",
			get: func(a *Agent) string { return a.Task.Schedule.String() },
			set: func(a *Agent, v string) error { a.Task.Schedule = ParseSchedule(v); return nil }},
	}
	if t == state.TaskImage {
		return append(vs, imageVariables()...)
	}
	return append(vs, s3Variables()...)
}

func s3Variables() []variable {
	o := func(a *Agent) *S3Options { return &a.Task.S3.S3Options }
	f := func(a *Agent) *Fleet { return &a.Fleet }
	vs := []variable{
		str("THUB_QUEUE_URL", "queue-url", "", func(a *Agent) *string { return &a.QueueURL }),
		str("THUB_DLQ_URL", "dlq-url", "", func(a *Agent) *string { return &a.DLQURL }),
		str("THUB_COMPARE", "compare", "s3.compare", func(a *Agent) *string { return &o(a).Compare }),
		list("THUB_PREFIX", "prefix", "s3.prefixes", func(a *Agent) *[]string { return &o(a).Prefixes }),
		str("THUB_PREFIX_LIST", "prefix-list", "s3.prefixList", func(a *Agent) *string { return &o(a).PrefixList }),
		list("THUB_INCLUDE", "include", "s3.include", func(a *Agent) *[]string { return &o(a).Include }),
		list("THUB_EXCLUDE", "exclude", "s3.exclude", func(a *Agent) *[]string { return &o(a).Exclude }),
		str("THUB_MIN_SIZE", "min-size", "s3.minSize", func(a *Agent) *string { return &o(a).MinSize }),
		str("THUB_MAX_SIZE", "max-size", "s3.maxSize", func(a *Agent) *string { return &o(a).MaxSize }),
		str("THUB_MODIFIED_AFTER", "modified-after", "s3.modifiedAfter", func(a *Agent) *string { return &o(a).ModifiedAfter }),
		str("THUB_MODIFIED_BEFORE", "modified-before", "s3.modifiedBefore", func(a *Agent) *string { return &o(a).ModifiedBefore }),
		boolean("THUB_DELETE", "delete", "s3.delete", func(a *Agent) *bool { return &o(a).Delete }),
		boolean("THUB_DELETE_EMPTY_SOURCE", "delete-empty-source", "s3.deleteEmptySource", func(a *Agent) *bool { return &o(a).DeleteEmptySource }),
		count("THUB_MAX_DELETE", "max-delete", "s3.maxDelete", func(a *Agent) *int { return &o(a).MaxDelete }),
		count("THUB_LIST_WORKERS", "list-workers", "s3.listWorkers", func(a *Agent) *int { return &o(a).ListWorkers }),
		boolean("THUB_SPLIT_FLAT_LEVELS", "split-flat-levels", "s3.splitFlatLevels", func(a *Agent) *bool { return &o(a).SplitFlatLevels }),
		count("THUB_CONCURRENCY", "concurrency", "s3.concurrency", func(a *Agent) *int { return &o(a).Concurrency }),
		str("THUB_PART_SIZE", "part-size", "s3.partSize", func(a *Agent) *string { return &o(a).PartSize }),
		str("THUB_MULTIPART_THRESHOLD", "multipart-threshold", "s3.multipartThreshold", func(a *Agent) *string { return &o(a).MultipartThreshold }),
		str("THUB_MAX_MEMORY", "max-memory", "s3.maxMemory", func(a *Agent) *string { return &o(a).MaxMemory }),
		str("THUB_SERVER_SIDE", "server-side", "s3.serverSide", func(a *Agent) *string { return &o(a).ServerSide }),
		positiveDur("THUB_STALL_TIMEOUT", "stall-timeout", "s3.stallTimeout", func(a *Agent) *Duration { return &o(a).StallTimeout }),
		str("THUB_STORAGE_CLASS", "storage-class", "s3.storageClass", func(a *Agent) *string { return &o(a).StorageClass }),
		str("THUB_ACL", "acl", "s3.acl", func(a *Agent) *string { return &o(a).ACL }),
		str("THUB_SSE", "sse", "s3.sse", func(a *Agent) *string { return &o(a).SSE }),
		str("THUB_SSE_KMS_KEY_ID", "sse-kms-key-id", "s3.sseKmsKeyId", func(a *Agent) *string { return &o(a).SSEKMSKeyID }),
		str("THUB_TAGS", "tags", "s3.tags", func(a *Agent) *string { return &o(a).Tags }),
		boolean("THUB_NO_TAGS", "no-tags", "s3.noTags", func(a *Agent) *bool { return &o(a).NoTags }),
		boolean("THUB_NO_SRC_ETAG", "no-src-etag", "s3.noSrcEtag", func(a *Agent) *bool { return &o(a).NoSrcETag }),
		str("THUB_EVENTS", "events", "s3.events", func(a *Agent) *string { return &o(a).Events }),

		count("THUB_BATCH_OBJECTS", "batch-objects", "", func(a *Agent) *int { return &f(a).BatchObjects }),
		positiveDur("THUB_LEASE_TTL", "lease-ttl", "", func(a *Agent) *Duration { return &f(a).LeaseTTL }),
		str("THUB_GIANT_THRESHOLD", "giant-threshold", "", func(a *Agent) *string { return &f(a).GiantThreshold }),
		integer("THUB_MAX_RECEIVES", "max-receives", "", func(a *Agent) *int { return &f(a).MaxReceives }),
		count("THUB_ATTEMPTS", "attempts", "", func(a *Agent) *int { return &f(a).Attempts }),
		positiveDur("THUB_VISIBILITY", "visibility", "", func(a *Agent) *Duration { return &f(a).Visibility }),
		positiveDur("THUB_RETRY_DELAY", "retry-delay", "", func(a *Agent) *Duration { return &f(a).RetryDelay }),
		dur("THUB_GRACE", "grace", "", func(a *Agent) *Duration { return &f(a).Grace }),
		positiveDur("THUB_RECEIVE_WAIT", "receive-wait", "", func(a *Agent) *Duration { return &f(a).ReceiveWait }),
		positiveDur("THUB_IDLE_CHECK", "idle-check", "", func(a *Agent) *Duration { return &f(a).IdleCheck }),
		str("THUB_LIFECYCLE_HOOK", "lifecycle-hook", "", func(a *Agent) *string { return &f(a).LifecycleHook }),
		str("THUB_ASG_NAME", "asg-name", "", func(a *Agent) *string { return &f(a).GroupName }),
		str("THUB_INSTANCE_ID", "instance-id", "", func(a *Agent) *string { return &f(a).InstanceID }),
		str("THUB_IMDS_ENDPOINT", "imds-endpoint", "", func(a *Agent) *string { return &f(a).IMDSEndpoint }),
		positiveDur("THUB_LIFECYCLE_POLL", "lifecycle-poll", "", func(a *Agent) *Duration { return &f(a).LifecyclePoll }),
	}
	for _, r := range []Role{RoleSource, RoleDestination} {
		vs = append(vs, sideVariables(r)...)
	}
	return vs
}

// sideVariables are THUB_SRC_* / THUB_DST_* of an S3 task.
func sideVariables(r Role) []variable {
	p := strings.ToUpper(r.Flag()) // SRC, DST
	fl := r.Flag()
	field := "s3." + string(r)
	side := func(a *Agent) *Side {
		if r == RoleDestination {
			return &a.Task.S3.Destination
		}
		return &a.Task.S3.Source
	}
	return []variable{
		{name: "THUB_" + p, flag: fl, field: field,
			get: func(a *Agent) string {
				if s := side(a); s.Kind != "" {
					return s.URL()
				}
				return ""
			},
			set: func(a *Agent, v string) error {
				parsed, err := ParseSide(v)
				if err != nil {
					return err
				}
				s := side(a)
				s.Kind, s.Bucket, s.Prefix, s.Path = parsed.Kind, parsed.Bucket, parsed.Prefix, parsed.Path
				return nil
			}},
		str("THUB_"+p+"_ENDPOINT", fl+"-endpoint", field+".endpoint", func(a *Agent) *string { return &side(a).Endpoint }),
		str("THUB_"+p+"_REGION", fl+"-region", field+".region", func(a *Agent) *string { return &side(a).Region }),
		str("THUB_"+p+"_PROVIDER", fl+"-provider", field+".provider", func(a *Agent) *string { return &side(a).Provider }),
		str("THUB_"+p+"_ADDRESSING", fl+"-addressing", field+".addressing", func(a *Agent) *string { return &side(a).Addressing }),
		boolean("THUB_"+p+"_REQUESTER_PAYS", fl+"-requester-pays", field+".requesterPays", func(a *Agent) *bool { return &side(a).RequesterPays }),
		withDef(str("THUB_"+p+"_CHECKSUMS", fl+"-checksums", field+".checksums", func(a *Agent) *string { return &side(a).Checksums }), "auto"),
		str("THUB_"+p+"_PROFILE", "", field+".awsProfile", func(a *Agent) *string { return &side(a).AWSProfile }),
		str("THUB_"+p+"_SECRET_ARN", fl+"-secret-arn", field+".secretArn", func(a *Agent) *string { return &side(a).SecretARN }),
		str("THUB_"+p+"_ROLE_ARN", fl+"-role-arn", field+".roleArn", func(a *Agent) *string { return &side(a).RoleARN }),
		str("THUB_"+p+"_EXTERNAL_ID", fl+"-external-id", field+".externalId", func(a *Agent) *string { return &side(a).ExternalID }),
		boolean("THUB_"+p+"_ANONYMOUS", fl+"-anonymous", field+".anonymous", func(a *Agent) *bool { return &side(a).Anonymous }),
		secret("THUB_"+p+"_ACCESS_KEY_ID", field+".keys", func(a *Agent) *string { return &side(a).Keys.AccessKeyID }),
		secret("THUB_"+p+"_SECRET_ACCESS_KEY", field+".keys", func(a *Agent) *string { return &side(a).Keys.SecretAccessKey }),
		secret("THUB_"+p+"_SESSION_TOKEN", field+".keys", func(a *Agent) *string { return &side(a).Keys.SessionToken }),
	}
}

func imageVariables() []variable {
	o := func(a *Agent) *ImageOptions { return &a.Task.Image.ImageOptions }
	src := func(a *Agent) *ImageSource { return &a.Task.Image.Source }
	dst := func(a *Agent) *ImageDestination { return &a.Task.Image.Destination }
	return []variable{
		{name: "THUB_IMAGE_SOURCES", flag: "image-sources", field: "image.source.references",
			get: func(a *Agent) string {
				s := src(a)
				if s.Registry == "" {
					return joinList(s.References)
				}
				full := make([]string, len(s.References)) // the agent takes full references
				for i, r := range s.References {
					full[i] = s.Registry + "/" + r
				}
				return joinList(full)
			},
			set: func(a *Agent, v string) error { src(a).References = splitList(v); return nil }},
		list("THUB_IMAGE_LIST", "image-list", "image.source.lists", func(a *Agent) *[]string { return &src(a).Lists }),
		{name: "THUB_IMAGE_DEST", flag: "image-dest", field: "image.destination.registry",
			get: func(a *Agent) string {
				d := dst(a)
				if d.Kind != KindRegistry || d.Registry == "" {
					return ""
				}
				if d.Prefix != "" {
					return d.Registry + "/" + d.Prefix
				}
				return d.Registry
			},
			set: func(a *Agent, v string) error {
				d := dst(a)
				host, prefix, _ := strings.Cut(strings.TrimSuffix(strings.TrimSpace(v), "/"), "/")
				if d.Kind == "" {
					d.Kind = KindRegistry
				}
				d.Registry, d.Prefix = host, prefix
				return nil
			}},
		{name: "THUB_SRC_ECR", flag: "src-ecr", field: "image.source.region",
			get: func(a *Agent) string {
				if src(a).Kind == KindECR {
					return src(a).Region
				}
				return ""
			},
			set: func(a *Agent, v string) error { src(a).Kind, src(a).Region = KindECR, v; return nil }},
		str("THUB_SRC_ACCOUNT", "src-account", "image.source.account", func(a *Agent) *string { return &src(a).Account }),
		str("THUB_SRC_ECR_ENDPOINT", "src-ecr-endpoint", "image.source.endpoint", func(a *Agent) *string { return &src(a).Endpoint }),
		str("THUB_SRC_ECR_HOST", "src-ecr-host", "image.source.host", func(a *Agent) *string { return &src(a).Host }),
		str("THUB_REPO_PREFIX", "repo-prefix", "image.source.repoPrefix", func(a *Agent) *string { return &src(a).RepoPrefix }),
		str("THUB_REPO_REGEX", "repo-regex", "image.source.repoRegex", func(a *Agent) *string { return &src(a).RepoRegex }),
		str("THUB_SRC_SECRET_ARN", "src-secret-arn", "image.source.secretArn", func(a *Agent) *string { return &src(a).SecretARN }),
		{name: "THUB_DST_ECR", flag: "dst-ecr", field: "image.destination.region",
			get: func(a *Agent) string {
				if dst(a).Kind == KindECR {
					return dst(a).Region
				}
				return ""
			},
			set: func(a *Agent, v string) error { dst(a).Kind, dst(a).Region = KindECR, v; return nil }},
		str("THUB_DST_ACCOUNT", "dst-account", "image.destination.account", func(a *Agent) *string { return &dst(a).Account }),
		str("THUB_DST_ECR_ENDPOINT", "dst-ecr-endpoint", "image.destination.endpoint", func(a *Agent) *string { return &dst(a).Endpoint }),
		str("THUB_DST_ECR_HOST", "dst-ecr-host", "image.destination.host", func(a *Agent) *string { return &dst(a).Host }),
		{name: "THUB_DST_PREFIX", flag: "dst-prefix", field: "image.destination.prefix",
			get: func(a *Agent) string {
				if dst(a).Kind == KindECR {
					return dst(a).Prefix
				}
				return "" // a registry's prefix travels in THUB_IMAGE_DEST
			},
			set: func(a *Agent, v string) error {
				if dst(a).Kind == KindECR { // a registry's prefix is part of THUB_IMAGE_DEST
					dst(a).Prefix = strings.Trim(v, "/")
				}
				return nil
			}},
		boolean("THUB_ECR_SCAN_ON_PUSH", "ecr-scan-on-push", "image.destination.scanOnPush", func(a *Agent) *bool { return &dst(a).ScanOnPush }),
		boolean("THUB_ECR_IMMUTABLE_TAGS", "ecr-immutable-tags", "image.destination.immutableTags", func(a *Agent) *bool { return &dst(a).ImmutableTags }),
		str("THUB_ECR_KMS_KEY", "ecr-kms-key", "image.destination.kmsKey", func(a *Agent) *string { return &dst(a).KMSKey }),
		str("THUB_DST_SECRET_ARN", "dst-secret-arn", "image.destination.secretArn", func(a *Agent) *string { return &dst(a).SecretARN }),
		list("THUB_TAG_INCLUDE", "tag-include", "image.tagInclude", func(a *Agent) *[]string { return &o(a).TagInclude }),
		list("THUB_TAG_EXCLUDE", "tag-exclude", "image.tagExclude", func(a *Agent) *[]string { return &o(a).TagExclude }),
		str("THUB_SEMVER", "semver", "image.semver", func(a *Agent) *string { return &o(a).Semver }),
		integer("THUB_LATEST", "latest", "image.latest", func(a *Agent) *int { return &o(a).Latest }),
		list("THUB_PLATFORM", "platform", "image.platforms", func(a *Agent) *[]string { return &o(a).Platforms }),
		withDef(boolean("THUB_REFERRERS", "referrers", "image.referrers", func(a *Agent) *bool { return &o(a).Referrers }), "true"),
		boolean("THUB_REFERRERS_RECHECK", "", "image.recheckReferrers", func(a *Agent) *bool { return &o(a).RecheckReferrers }),
		count("THUB_CONCURRENCY", "concurrency", "image.concurrency", func(a *Agent) *int { return &o(a).Concurrency }),
		count("THUB_HOST_CONCURRENCY", "host-concurrency", "image.hostConcurrency", func(a *Agent) *int { return &o(a).HostConcurrency }),
		{name: "THUB_REQ_PER_SEC", flag: "req-per-sec", field: "image.reqPerSec",
			get: func(a *Agent) string {
				if o(a).ReqPerSec == 0 {
					return ""
				}
				return strconv.FormatFloat(o(a).ReqPerSec, 'g', -1, 64)
			},
			set: func(a *Agent, v string) error {
				n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					return fmt.Errorf("%q is not a number; write e.g. 10 or 2.5", v)
				}
				o(a).ReqPerSec = n
				return nil
			}},
		count("THUB_ATTEMPTS", "attempts", "image.attempts", func(a *Agent) *int { return &o(a).Attempts }),
		list("THUB_INSECURE_HTTP", "insecure-http", "image.insecureHttp", func(a *Agent) *[]string { return &o(a).InsecureHTTP }),
		list("THUB_CA_FILE", "ca-file", "image.caFiles", func(a *Agent) *[]string { return &o(a).CAFiles }),
		boolean("THUB_NO_DOCKER_CONFIG", "", "image.noDockerConfig", func(a *Agent) *bool { return &o(a).NoDockerConfig }),
		count("THUB_BATCH_SIZE", "batch-size", "", func(a *Agent) *int { return &a.BatchSize }),
	}
}

// --- kinds of variables -------------------------------------------------------------------

func str(name, flag, field string, p func(*Agent) *string) variable {
	return variable{name: name, flag: flag, field: field,
		get: func(a *Agent) string { return *p(a) },
		set: func(a *Agent, v string) error { *p(a) = v; return nil }}
}

// secret is a variable the agent reads and Env never writes (keys).
func secret(name, field string, p func(*Agent) *string) variable {
	v := str(name, "", field, p)
	v.secret = true
	return v
}

func withDef(v variable, def string) variable {
	v.def = def
	return v
}

func boolean(name, flag, field string, p func(*Agent) *bool) variable {
	return variable{name: name, flag: flag, field: field, def: "false",
		get: func(a *Agent) string { return strconv.FormatBool(*p(a)) },
		set: func(a *Agent, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q: use true or false", v)
			}
			*p(a) = b
			return nil
		}}
}

// integer is a whole number where 0 is a value of its own (0 = the default or "all").
func integer(name, flag, field string, p func(*Agent) *int) variable {
	return variable{name: name, flag: flag, field: field, def: "0",
		get: func(a *Agent) string { return strconv.Itoa(*p(a)) },
		set: func(a *Agent, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			*p(a) = n
			return nil
		}}
}

// count is a whole number of at least 1: given as 0 it is refused (0 in the spec means
// the default, which an explicit 0 is not asking for).
func count(name, flag, field string, p func(*Agent) *int) variable {
	v := integer(name, flag, field, p)
	set := v.set
	v.set = func(a *Agent, s string) error {
		if err := set(a, s); err != nil {
			return err
		}
		if *p(a) < 1 {
			return fmt.Errorf("%s: use at least 1", s)
		}
		return nil
	}
	return v
}

func dur(name, flag, field string, p func(*Agent) *Duration) variable {
	return variable{name: name, flag: flag, field: field, def: "0s",
		get: func(a *Agent) string { return time.Duration(*p(a)).String() },
		set: func(a *Agent, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration; write e.g. 30s, 5m or 1h", v)
			}
			*p(a) = Duration(d)
			return nil
		}}
}

// positiveDur is a duration that must be more than 0 when given.
func positiveDur(name, flag, field string, p func(*Agent) *Duration) variable {
	v := dur(name, flag, field, p)
	set := v.set
	v.set = func(a *Agent, s string) error {
		if err := set(a, s); err != nil {
			return err
		}
		if *p(a) <= 0 {
			return fmt.Errorf("%s: use a duration above 0, e.g. 30s", s)
		}
		return nil
	}
	return v
}

func list(name, flag, field string, p func(*Agent) *[]string) variable {
	return variable{name: name, flag: flag, field: field,
		get: func(a *Agent) string { return joinList(*p(a)) },
		set: func(a *Agent, v string) error { *p(a) = splitList(v); return nil }}
}

// joinList writes a list variable: comma-separated, or one item per line when an item
// holds a comma (a key prefix may).
func joinList(items []string) string {
	for _, s := range items {
		if strings.Contains(s, ",") {
			return strings.Join(items, "\n")
		}
	}
	return strings.Join(items, ",")
}

// splitList reads a list variable: one item per line when it has several lines, else
// comma-separated; items are trimmed and empty ones dropped.
func splitList(v string) []string {
	sep := ","
	if strings.Contains(v, "\n") {
		sep = "\n"
	}
	var out []string
	for _, s := range strings.Split(v, sep) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
