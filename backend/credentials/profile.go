// Package credentials keeps the user's credential profiles: non-secret metadata in a
// JSON file in the user config dir, secrets only in the OS keychain. The UI only ever
// sees whether a secret is set; the engines get resolved credentials through Resolve.
//
// Storage: os.UserConfigDir()/transfer-hub/profiles.json ({"version":1,"profiles":[...]},
// mode 0600, replaced atomically) and one keychain entry per profile: service
// "transfer-hub", user "profile/<id>", value the JSON of its Secret. An AWS profile on an
// AWS CLI profile (SharedProfile) has no entry.
//
// For the engines: Manager.Resolve(ctx, id) gives a Resolved, and Resolved.S3Config,
// Resolved.AWSConfig (STS, ECR) and Resolved.RegistryAccess / AddTo (image.Access) turn
// it into what cloud/objstore and cloud/image take. Tasks report which profiles they use
// through a UsageChecker, so a profile in use is not deleted.
package credentials

import "time"

// Kind is what a profile gives access to.
type Kind string

const (
	// KindAWS: Amazon S3 / ECR / the AWS APIs in one partition, with access keys or an
	// existing shared-config profile (SSO included), optionally assuming a role.
	KindAWS Kind = "aws"
	// KindS3Compatible: an S3-compatible provider (preset or custom endpoint) with keys.
	KindS3Compatible Kind = "s3compat"
	// KindRegistry: a container registry with a user name and password or token.
	KindRegistry Kind = "registry"
)

// Profile is what is stored in the config file and shown in the UI: never a secret.
type Profile struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`

	// KindAWS
	SharedProfile string `json:"sharedProfile,omitempty"` // use ~/.aws/config profile instead of keys
	Partition     string `json:"partition,omitempty"`     // aws, aws-cn, aws-us-gov
	RoleARN       string `json:"roleArn,omitempty"`
	ExternalID    string `json:"externalId,omitempty"`

	// KindAWS and KindS3Compatible
	Region      string `json:"region,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"` // an identifier, shown; the secret key is not

	// KindS3Compatible
	Provider  string `json:"provider,omitempty"` // objstore preset: aliyun-oss, tencent-cos, qiniu-kodo, gcs, cloudflare-r2, other
	Endpoint  string `json:"endpoint,omitempty"` // custom endpoint URL (overrides the preset's)
	PathStyle bool   `json:"pathStyle,omitempty"`
	// TestBucket (optional) makes Test connection check this bucket (HeadBucket) instead
	// of listing all buckets, for keys that may only reach some buckets.
	TestBucket string `json:"testBucket,omitempty"`

	// KindRegistry
	Host         string `json:"host,omitempty"` // host[:port]
	Username     string `json:"username,omitempty"`
	InsecureHTTP bool   `json:"insecureHttp,omitempty"` // plain HTTP: only for hosts the user names
	CAFile       string `json:"caFile,omitempty"`       // extra CA bundle (PEM) to trust for Host

	// SecretSet says whether the keychain holds this profile's secret (filled on read).
	SecretSet bool `json:"secretSet"`

	// LastTest is the outcome of the last Test connection since the profile was last
	// saved; nil when it was never tested (or edited since).
	LastTest *TestResult `json:"lastTest,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Secret is what goes to the keychain, never to the config file, logs or the UI.
type Secret struct {
	SecretAccessKey string `json:"secretAccessKey,omitempty"` // KindAWS, KindS3Compatible
	SessionToken    string `json:"sessionToken,omitempty"`    // KindAWS (temporary keys)
	Password        string `json:"password,omitempty"`        // KindRegistry (password or token)
}

// Resolved is a profile with its secret, for the engines only (backend-internal: never
// returned through app/ to the UI).
type Resolved struct {
	Profile
	Secret Secret
}
