package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/regclient/regclient/types/platform"

	"transferhub/cloud/image"
	"transferhub/cloud/invalid"
)

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
