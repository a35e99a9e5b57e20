package spec

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"transferhub/cloud/image"
	"transferhub/cloud/invalid"
	"transferhub/cloud/state"
)

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
