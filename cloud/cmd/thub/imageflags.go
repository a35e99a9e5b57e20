package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
)

type imageSyncFlags struct {
	imageEngineFlags
	imageSelectionFlags
	lists                          []string
	allPlatforms                   bool
	recheckReferrers               bool
	dryRun, jsonOut, noState       bool
	statePath                      string
	srcCreds, dstCreds             string
	noDockerConfig, progress, plan bool
}

// imageEngineFlags are shared by thub image sync and the cloud image processes: the ECR
// sides, settings of created repositories, platforms, referrers, tuning and TLS.
type imageEngineFlags struct {
	srcECR, srcAccount, srcECRURL, srcECRHost string
	dstECR, dstAccount, dstECRURL, dstECRHost string
	scanOnPush, immutable                     bool
	kmsKey                                    string
	platforms                                 []string
	referrers                                 bool
	concurrency, hostConcurrency              int
	reqPerSec                                 float64
	attempts                                  int
	insecure, caFiles                         []string
}

func (f *imageEngineFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.srcECR, "src-ecr", "", "source Amazon ECR region: every repository, or only the given source repositories (relative to it)")
	fl.StringVar(&f.srcAccount, "src-account", "", "source ECR account id (default: the caller's)")
	fl.StringVar(&f.srcECRURL, "src-ecr-endpoint", "", "source ECR API endpoint URL (emulators; AWS_ENDPOINT_URL_ECR also works)")
	fl.StringVar(&f.srcECRHost, "src-ecr-host", "", "source ECR registry host override (tests: a local registry)")
	fl.StringVar(&f.dstECR, "dst-ecr", "", "destination Amazon ECR region (repositories created on demand)")
	fl.StringVar(&f.dstAccount, "dst-account", "", "destination ECR account id (default: the caller's)")
	fl.StringVar(&f.dstECRURL, "dst-ecr-endpoint", "", "destination ECR API endpoint URL")
	fl.StringVar(&f.dstECRHost, "dst-ecr-host", "", "destination ECR registry host override (tests: a local registry)")
	fl.BoolVar(&f.scanOnPush, "ecr-scan-on-push", false, "created ECR repositories: scan images on push")
	fl.BoolVar(&f.immutable, "ecr-immutable-tags", false, "created ECR repositories: IMMUTABLE tags")
	fl.StringVar(&f.kmsKey, "ecr-kms-key", "", "created ECR repositories: KMS key ARN/id (default AES256)")
	fl.StringSliceVar(&f.platforms, "platform", nil, "copy only these platforms of multi-platform images (os/arch[/variant], repeatable); rewrites the index, so its digest changes")
	fl.BoolVar(&f.referrers, "referrers", true, "copy referrers (signatures, SBOMs, attestations) and sha256-*.sig/.att/.sbom tags")
	fl.IntVar(&f.concurrency, "concurrency", image.DefaultImageConcurrency, "images copied in parallel")
	fl.IntVar(&f.hostConcurrency, "host-concurrency", image.DefaultHostConcurrency, "concurrent requests (blob transfers) per registry")
	fl.Float64Var(&f.reqPerSec, "req-per-sec", 0, "max requests per second per registry (0: no limit)")
	fl.IntVar(&f.attempts, "attempts", 3, "attempts per image for transient failures")
	fl.StringArrayVar(&f.insecure, "insecure-http", nil, "registry host[:port] to reach over plain HTTP (repeatable)")
	fl.StringArrayVar(&f.caFiles, "ca-file", nil, "extra trusted CA certificate (PEM) for registries (repeatable)")
}

// imageSelectionFlags narrow the repositories and tags and place them at the destination.
type imageSelectionFlags struct {
	repoPrefix, repoRegex, dstPrefix string
	tagInclude, tagExclude           []string
	semver                           string
	latest                           int
}

func (f *imageSelectionFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.repoPrefix, "repo-prefix", "", "with --src-ecr: only repositories starting with this")
	fl.StringVar(&f.repoRegex, "repo-regex", "", "with --src-ecr: only repositories matching this regular expression")
	fl.StringVar(&f.dstPrefix, "dst-prefix", "", "with --dst-ecr: repository prefix")
	fl.StringArrayVar(&f.tagInclude, "tag-include", nil, "ALL_TAGS: keep tags matching this regular expression (whole tag; repeatable)")
	fl.StringArrayVar(&f.tagExclude, "tag-exclude", nil, "ALL_TAGS: drop tags matching this regular expression (repeatable)")
	fl.StringVar(&f.semver, "semver", "", `ALL_TAGS: keep version tags in this range, e.g. ">=1.2, <2"`)
	fl.IntVar(&f.latest, "latest", 0, "ALL_TAGS: keep the N most recent tags (image creation time)")
}

func (f *imageSelectionFlags) tagFilter() image.TagFilter {
	return image.TagFilter{Include: f.tagInclude, Exclude: f.tagExclude, Semver: f.semver, Latest: f.latest}
}

func (f *imageEngineFlags) repoSettings() ecr.RepoSettings {
	return ecr.RepoSettings{ScanOnPush: f.scanOnPush, Immutable: f.immutable, KMSKey: f.kmsKey}
}

func sourceHosts(ss []image.Source, ecrHost string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s.Registry] && s.Registry != "ecr.placeholder.invalid" {
			seen[s.Registry] = true
			out = append(out, s.Registry)
		}
	}
	if ecrHost != "" {
		out = append(out, ecrHost)
	}
	return out
}

func applyCreds(m map[string]image.Cred, flag, env string, hosts []string) error {
	if flag == "" {
		return nil
	}
	user, pass, ok := strings.Cut(flag, ":")
	if !ok {
		pass = os.Getenv(env)
		if pass == "" {
			return fmt.Errorf("no password: write USER:PASSWORD or set %s", env)
		}
	}
	if user == "" {
		return errors.New("empty user name")
	}
	for _, h := range hosts {
		if h != "" {
			m[h] = image.Cred{User: user, Password: pass}
		}
	}
	return nil
}
