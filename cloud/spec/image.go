package spec

import "log/slog"

// Image source and destination kinds.
const (
	KindRegistry = "registry" // any OCI registry
	KindECR      = "ecr"      // Amazon ECR through AWS credentials
)

// Image is an image task: what `thub image sync` does, and what the cloud run's lister
// and copiers do together.
type Image struct {
	Source      ImageSource      `json:"source"`
	Destination ImageDestination `json:"destination"`
	ImageOptions
}

// ImageSource says which images to copy.
type ImageSource struct {
	Kind string `json:"kind"` // KindRegistry or KindECR
	// References: registry/repo:tag, registry/repo@sha256:..., registry/repo:ALL_TAGS;
	// relative to Registry when it is set, and to the ECR for KindECR. With an ECR and
	// neither References nor Lists, every repository is copied.
	References []string `json:"references,omitempty"`
	// Registry is the host[:port] References are relative to ("": they name it).
	Registry string `json:"registry,omitempty"`
	// Lists are files of references (one per line or comma-separated), read at run start.
	Lists []string `json:"lists,omitempty"`
	// ECR only.
	Region     string `json:"region,omitempty"`
	Account    string `json:"account,omitempty"`
	RepoPrefix string `json:"repoPrefix,omitempty"`
	RepoRegex  string `json:"repoRegex,omitempty"`
	Endpoint   string `json:"endpoint,omitempty"` // ECR API endpoint URL (emulators)
	Host       string `json:"host,omitempty"`     // ECR registry host override (tests)
	ImageAccess
}

// ImageDestination says where images go: the destination repository is Prefix joined
// with the source repository path.
type ImageDestination struct {
	Kind     string `json:"kind"`               // KindRegistry or KindECR
	Registry string `json:"registry,omitempty"` // host[:port] (KindRegistry)
	Prefix   string `json:"prefix,omitempty"`
	// ECR only: where, and the settings of repositories created on demand.
	Region        string `json:"region,omitempty"`
	Account       string `json:"account,omitempty"`
	ScanOnPush    bool   `json:"scanOnPush,omitempty"`
	ImmutableTags bool   `json:"immutableTags,omitempty"`
	KMSKey        string `json:"kmsKey,omitempty"`
	Endpoint      string `json:"endpoint,omitempty"`
	Host          string `json:"host,omitempty"`
	ImageAccess
}

// ImageAccess says how an image side is reached, never with what. Without it: the
// Docker config and its credential helpers (CLI), anonymous access, or for ECR the
// AWS default chain.
type ImageAccess struct {
	// SecretARN names a Secrets Manager secret: {"username","password"} for a registry,
	// AWS keys for an ECR (the cloud run).
	SecretARN string `json:"secretArn,omitempty"`
	// Login given at run time (--src-creds, THUB_SRC_PASSWORD): never serialized.
	Login Login `json:"-"`
}

// Login is a registry user and password handed to a run; its textual forms hide the
// password.
type Login struct {
	User     string
	Password string
}

// IsZero reports whether no login was given.
func (l Login) IsZero() bool { return l == Login{} }

// String names the user only.
func (l Login) String() string {
	if l.IsZero() {
		return "no login"
	}
	return "login " + l.User + " (password hidden)"
}

// GoString keeps %#v from printing the password.
func (l Login) GoString() string { return l.String() }

// LogValue keeps slog from printing the password.
func (l Login) LogValue() slog.Value { return slog.StringValue(l.String()) }

// MarshalJSON keeps the password out of any JSON.
func (l Login) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// ImageOptions is everything of an image task but its two sides.
type ImageOptions struct {
	// Tag filters apply to ALL_TAGS sources and whole-ECR selections.
	TagInclude []string `json:"tagInclude,omitempty"`
	TagExclude []string `json:"tagExclude,omitempty"`
	Semver     string   `json:"semver,omitempty"`
	Latest     int      `json:"latest,omitempty"`
	// Platforms ("linux/amd64", "linux/arm64/v8"); empty copies every platform intact.
	Platforms []string `json:"platforms,omitempty"`
	// Referrers copies signatures, SBOMs and attestations with each image.
	Referrers bool `json:"referrers"`
	// RecheckReferrers also copies referrers added to images the destination has.
	RecheckReferrers bool `json:"recheckReferrers,omitempty"`
	// Concurrency: images copied in parallel (default image.DefaultImageConcurrency).
	Concurrency int `json:"concurrency,omitempty"`
	// HostConcurrency: concurrent requests per registry (default
	// image.DefaultHostConcurrency).
	HostConcurrency int `json:"hostConcurrency,omitempty"`
	// ReqPerSec limits requests per second per registry (0: no limit).
	ReqPerSec float64 `json:"reqPerSec,omitempty"`
	// Attempts per image for transient failures (default 3).
	Attempts int `json:"attempts,omitempty"`
	// InsecureHTTP: registry hosts reached over plain HTTP.
	InsecureHTTP []string `json:"insecureHttp,omitempty"`
	// CAFiles: extra trusted CA certificates (PEM files).
	CAFiles []string `json:"caFiles,omitempty"`
	// NoDockerConfig ignores ~/.docker/config.json and credential helpers.
	NoDockerConfig bool `json:"noDockerConfig,omitempty"`
}
