package credentials

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/config"

	"transferhub/cloud/invalid"
	"transferhub/cloud/objstore"
)

const maxNameLen = 64

var (
	accessKeyIDRE   = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`)
	secretKeyRE     = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	roleARNRE       = regexp.MustCompile(`^arn:([a-z-]+):iam::([0-9]{12}):role/([\w+=,.@/-]{1,512})$`)
	externalIDRE    = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	genericRegionRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	hostLabelRE     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	sharedProfileRE = regexp.MustCompile(`^[^\s\[\]]{1,128}$`)
)

// normalize trims what a user may have pasted with spaces, lower-cases names that are
// case-insensitive, and clears the fields that do not belong to the profile's kind, so
// a kind's stale values never linger in the file.
func normalize(p Profile) Profile {
	p.Name = strings.TrimSpace(p.Name)
	p.Kind = Kind(strings.ToLower(strings.TrimSpace(string(p.Kind))))
	p.SharedProfile = strings.TrimSpace(p.SharedProfile)
	p.Partition = strings.ToLower(strings.TrimSpace(p.Partition))
	p.RoleARN = strings.TrimSpace(p.RoleARN)
	p.ExternalID = strings.TrimSpace(p.ExternalID)
	p.Region = strings.ToLower(strings.TrimSpace(p.Region))
	p.AccessKeyID = strings.TrimSpace(p.AccessKeyID)
	p.Provider = strings.ToLower(strings.TrimSpace(p.Provider))
	p.Endpoint = strings.TrimSpace(p.Endpoint)
	p.TestBucket = strings.TrimSpace(p.TestBucket)
	p.Host = strings.ToLower(strings.TrimSpace(p.Host))
	p.Username = strings.TrimSpace(p.Username)
	p.CAFile = strings.TrimSpace(p.CAFile)

	if p.Kind != KindAWS {
		p.SharedProfile, p.Partition, p.RoleARN, p.ExternalID = "", "", "", ""
	}
	if p.Kind != KindAWS && p.Kind != KindS3Compatible {
		p.Region, p.AccessKeyID = "", ""
	}
	if p.Kind != KindS3Compatible {
		p.Provider, p.Endpoint, p.PathStyle = "", "", false
	}
	if p.Kind != KindS3Compatible && p.Kind != KindAWS {
		p.TestBucket = ""
	}
	if p.Kind != KindRegistry {
		p.Host, p.Username, p.InsecureHTTP, p.CAFile = "", "", false, ""
	}
	if p.Kind == KindAWS {
		if p.Partition == "" {
			if part, ok := RegionPartition(p.Region); ok {
				p.Partition = part
			}
		}
	}
	if p.Kind == KindS3Compatible && p.Provider == "" && p.Endpoint != "" {
		p.Provider = "other"
	}
	if ep, err := objstore.ValidateEndpoint(p.Endpoint); err == nil {
		p.Endpoint = ep
	}
	return p
}

// normalizeSecret trims keys and tokens (never legitimately surrounded by spaces, often
// pasted with a newline); a registry password is kept exactly as typed.
func normalizeSecret(s Secret) Secret {
	s.SecretAccessKey = strings.TrimSpace(s.SecretAccessKey)
	s.SessionToken = strings.TrimSpace(s.SessionToken)
	return s
}

// needsSecret says whether a profile reads a secret from the keychain at all (an AWS
// profile on a shared-config profile does not).
func (p Profile) needsSecret() bool {
	return !(p.Kind == KindAWS && p.SharedProfile != "")
}

// validation is the input of validate: the profile as normalized, the new secret (nil:
// keep the stored one), the stored profile and secret when editing, and the others.
type validation struct {
	p       Profile
	secret  *Secret
	prev    *Profile
	stored  *Secret // nil when the keychain holds none
	others  []Profile
	sharedC func(ctx context.Context, name string) error // checks a shared-config profile exists
}

// problems collects a form's field errors; messages are printf-style.
type problems struct{ invalid.List }

func (pr *problems) add(field, format string, args ...any) {
	pr.Add(field, fmt.Sprintf(format, args...))
}

// run returns an *invalid.Error naming every invalid field; its messages never quote a
// secret.
func (v validation) run(ctx context.Context) error {
	var pr problems
	add := pr.add
	p := v.p

	switch {
	case p.Name == "":
		add("name", "enter a name for these credentials, e.g. \"Production account\"")
	case len([]rune(p.Name)) > maxNameLen:
		add("name", "the name is %d characters long; use at most %d", len([]rune(p.Name)), maxNameLen)
	case strings.IndexFunc(p.Name, unicode.IsControl) >= 0:
		add("name", "the name contains a control character (tab or line break); remove it")
	default:
		for _, o := range v.others {
			if strings.EqualFold(o.Name, p.Name) {
				add("name", "another profile is already called %q; choose a different name", o.Name)
				break
			}
		}
	}
	if v.prev != nil && v.prev.Kind != p.Kind {
		add("kind", "a saved profile cannot change its kind (%s); create a new profile instead", v.prev.Kind)
	}

	// The secret that will be in effect after the save.
	eff := v.stored
	if v.secret != nil {
		eff = v.secret
	}
	// A secret must be (re-)entered for a new profile, and when the identity it belongs
	// to changed: an old secret would not match the new key or user.
	mustEnter := v.secret == nil && (v.prev == nil || v.stored == nil)

	switch p.Kind {
	case KindAWS:
		v.aws(ctx, &pr, eff, mustEnter)
	case KindS3Compatible:
		v.s3compat(&pr, eff, mustEnter)
	case KindRegistry:
		v.registry(&pr, eff, mustEnter)
	case "":
		add("kind", "choose what these credentials are for: AWS, an S3-compatible store or a container registry")
	default:
		add("kind", "%q is not a kind of credentials; choose aws, s3compat or registry", p.Kind)
	}
	return pr.Err("credentials profile")
}

func (v validation) aws(ctx context.Context, pr *problems, eff *Secret, mustEnter bool) {
	add := pr.add
	p := v.p
	partOK := slices.Contains(partitions, p.Partition)
	if p.Partition != "" && !partOK {
		add("partition", "%q is not an AWS partition; choose aws, aws-cn or aws-us-gov", p.Partition)
	}
	switch part, ok := RegionPartition(p.Region); {
	case p.Region == "":
		add("region", "choose the default region, e.g. us-east-1 (aws), cn-north-1 (aws-cn) or us-gov-west-1 (aws-us-gov)")
	case !ok:
		add("region", "%q is not an AWS region name; regions look like us-east-1 or eu-central-1", p.Region)
	case partOK && part != p.Partition:
		add("region", "%s is a region of the %s partition, not %s; choose a region of %s or change the partition", p.Region, part, p.Partition, p.Partition)
	}

	switch {
	case p.SharedProfile != "" && p.AccessKeyID != "":
		add("sharedProfile", "use either access keys or an AWS CLI profile, not both; clear one of them")
	case p.SharedProfile != "":
		if !sharedProfileRE.MatchString(p.SharedProfile) {
			add("sharedProfile", "%q is not a profile name: no spaces or brackets", p.SharedProfile)
		} else if v.sharedC != nil {
			if err := v.sharedC(ctx, p.SharedProfile); err != nil {
				add("sharedProfile", "%s", err.Error())
			}
		}
		if v.secret != nil && (v.secret.SecretAccessKey != "" || v.secret.SessionToken != "") {
			add("secretAccessKey", "an AWS CLI profile brings its own credentials; clear the secret access key and session token")
		}
	default:
		if msg := accessKeyIDProblem(p.AccessKeyID); msg != "" {
			add("accessKeyId", "%s", msg)
		}
		keyChanged := v.prev != nil && v.prev.AccessKeyID != p.AccessKeyID
		switch {
		case eff == nil || mustEnter || (keyChanged && v.secret == nil):
			if keyChanged && v.secret == nil && !mustEnter {
				add("secretAccessKey", "you changed the access key ID: enter the secret access key that belongs to it")
			} else {
				add("secretAccessKey", "enter the secret access key that belongs to this access key ID")
			}
		default:
			if msg := secretKeyProblem(eff.SecretAccessKey); msg != "" {
				add("secretAccessKey", "%s", msg)
			}
			if strings.HasPrefix(p.AccessKeyID, "ASIA") && eff.SessionToken == "" {
				add("sessionToken", "keys starting with ASIA are temporary: enter the session token that came with them")
			}
			if strings.HasPrefix(p.AccessKeyID, "AKIA") && v.secret != nil && v.secret.SessionToken != "" {
				add("sessionToken", "keys starting with AKIA are long-term keys and take no session token; clear it, or use the ASIA key that came with the token")
			}
		}
	}

	if p.RoleARN != "" {
		m := roleARNRE.FindStringSubmatch(p.RoleARN)
		switch {
		case m == nil:
			add("roleArn", "%q is not a role ARN; it looks like arn:aws:iam::123456789012:role/RoleName", p.RoleARN)
		case partOK && m[1] != p.Partition:
			add("roleArn", "the role is in the %s partition but these credentials are for %s; use arn:%s:iam::... or change the partition", m[1], p.Partition, p.Partition)
		}
	}
	switch {
	case p.ExternalID != "" && p.RoleARN == "":
		add("externalId", "an external ID is only used when assuming a role: enter the role ARN or clear the external ID")
	case p.ExternalID != "" && (len(p.ExternalID) < 2 || len(p.ExternalID) > 1224 || !externalIDRE.MatchString(p.ExternalID)):
		add("externalId", "an external ID is 2 to 1224 letters, digits or +=,.@:/-_ characters, without spaces")
	}
	if p.TestBucket != "" {
		if err := objstore.ValidateBucket(p.TestBucket); err != nil {
			add("testBucket", "%s", err.Error())
		}
	}
}

// accessKeyIDProblem explains what is wrong with an AWS access key ID ("" when it has
// the right shape). The ID is not a secret, so quoting it is fine.
func accessKeyIDProblem(id string) string {
	switch {
	case id == "":
		return "enter the access key ID (it starts with AKIA or ASIA), or use an AWS CLI profile instead"
	case accessKeyIDRE.MatchString(id):
		return ""
	case len(id) != 20:
		return fmt.Sprintf("an access key ID is 20 characters, like AKIAIOSFODNN7EXAMPLE; %q has %d", id, len(id))
	case strings.ToUpper(id) != id:
		return "an access key ID has only uppercase letters and digits; check the letters you typed"
	case !strings.HasPrefix(id, "AKIA") && !strings.HasPrefix(id, "ASIA"):
		return fmt.Sprintf("an access key ID starts with AKIA (long-term keys) or ASIA (temporary keys); %q does not", id)
	default:
		return "an access key ID has only uppercase letters and digits"
	}
}

// secretKeyProblem explains what is wrong with an AWS secret access key without ever
// quoting it.
func secretKeyProblem(s string) string {
	switch {
	case secretKeyRE.MatchString(s):
		return ""
	case s == "":
		return "enter the secret access key"
	case len(s) != 40:
		return fmt.Sprintf("a secret access key is 40 characters; this one has %d: copy all of it, and nothing else", len(s))
	case strings.ContainsAny(s, " \t\r\n"):
		return "the secret access key contains spaces; copy it again without them"
	default:
		return "a secret access key has only letters, digits, / and +; check what you pasted"
	}
}

func (v validation) s3compat(pr *problems, eff *Secret, mustEnter bool) {
	add := pr.add
	p := v.p
	var prov objstore.Provider
	provOK := false
	switch {
	case p.Provider == "":
		add("provider", "choose the provider, or \"other\" for any S3-compatible store with its endpoint URL")
	case p.Provider == "aws":
		add("provider", "for Amazon S3 itself create an AWS profile; this kind is for other S3-compatible stores")
	default:
		var err error
		if prov, err = objstore.LookupProvider(p.Provider, p.Endpoint != ""); err != nil {
			add("provider", "%s", err.Error())
		} else {
			provOK = true
		}
	}
	if p.Endpoint != "" {
		if _, err := objstore.ValidateEndpoint(p.Endpoint); err != nil {
			add("endpoint", "%s; enter a URL such as https://s3.example.com or http://127.0.0.1:9000", err.Error())
		}
	} else if provOK && prov.NeedsEndpoint {
		add("endpoint", "%s needs the endpoint URL of your store, e.g. https://s3.example.com or http://127.0.0.1:9000", p.Provider)
	}
	if p.Region != "" && !genericRegionRE.MatchString(p.Region) {
		add("region", "%q is not a region name: use lowercase letters, digits and hyphens, e.g. cn-hangzhou", p.Region)
	}
	switch {
	case p.AccessKeyID == "":
		add("accessKeyId", "enter the access key ID your provider gave you")
	case len(p.AccessKeyID) > 128 || strings.ContainsFunc(p.AccessKeyID, unicode.IsSpace):
		add("accessKeyId", "an access key ID has no spaces and at most 128 characters; check what you pasted")
	}
	keyChanged := v.prev != nil && v.prev.AccessKeyID != p.AccessKeyID
	switch {
	case eff == nil || mustEnter:
		add("secretAccessKey", "enter the secret key that belongs to this access key ID")
	case keyChanged && v.secret == nil:
		add("secretAccessKey", "you changed the access key ID: enter the secret key that belongs to it")
	case eff.SecretAccessKey == "":
		add("secretAccessKey", "enter the secret key that belongs to this access key ID")
	case len(eff.SecretAccessKey) > 256 || strings.ContainsFunc(eff.SecretAccessKey, unicode.IsSpace):
		add("secretAccessKey", "a secret key has no spaces and at most 256 characters; copy it again")
	}
	if v.secret != nil && v.secret.SessionToken != "" {
		add("sessionToken", "S3-compatible profiles take no session token; clear it")
	}
	if p.TestBucket != "" {
		if err := objstore.ValidateBucket(p.TestBucket); err != nil {
			add("testBucket", "%s", err.Error())
		}
	}
}

func (v validation) registry(pr *problems, eff *Secret, mustEnter bool) {
	add := pr.add
	p := v.p
	if msg := hostProblem(p.Host); msg != "" {
		add("host", "%s", msg)
	}
	switch {
	case p.Username == "":
		add("username", "enter the user name (for a token-only registry, the user name its documentation gives, e.g. AWS for ECR)")
	case len(p.Username) > 256 || strings.IndexFunc(p.Username, unicode.IsControl) >= 0:
		add("username", "the user name has a control character or is over 256 characters")
	}
	switch {
	case eff == nil || mustEnter || eff.Password == "":
		add("password", "enter the password or access token")
	case len(eff.Password) > 8192:
		add("password", "the password or token is over 8192 characters; check what you pasted")
	}
	if v.secret != nil && (v.secret.SecretAccessKey != "" || v.secret.SessionToken != "") {
		add("secretAccessKey", "registry profiles take a password or token, not a secret access key")
	}
	switch {
	case p.InsecureHTTP && p.CAFile != "":
		add("caFile", "a CA file is for TLS; plain HTTP uses none: clear one of them")
	case p.CAFile != "":
		if msg := caFileProblem(p.CAFile); msg != "" {
			add("caFile", "%s", msg)
		}
	}
}

// hostProblem checks a registry host[:port] ("" when fine).
func hostProblem(h string) string {
	if h == "" {
		return "enter the registry host, e.g. registry.example.com or 127.0.0.1:5000"
	}
	if strings.Contains(h, "://") {
		return "enter only the host and port, without http:// or https:// (use the plain HTTP option for an HTTP registry)"
	}
	if strings.ContainsAny(h, "/?#@ ") {
		return fmt.Sprintf("%q is not a host name: enter only the host and optional port, no path, e.g. registry.example.com:5000", h)
	}
	if strings.HasSuffix(h, ":") {
		return fmt.Sprintf("%q: the port after the colon is missing", h)
	}
	host, port := h, ""
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			if !strings.HasPrefix(h, "[") {
				return fmt.Sprintf("%q: the port after the colon is missing", h)
			}
			host = strings.Trim(h, "[]")
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("port %q is not a number from 1 to 65535", port)
		}
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	if len(host) > 253 {
		return "the host name is over 253 characters"
	}
	for _, label := range strings.Split(host, ".") {
		if !hostLabelRE.MatchString(label) {
			return fmt.Sprintf("%q is not a valid host name: use letters, digits, hyphens and dots, e.g. registry.example.com", host)
		}
	}
	return ""
}

// caFileProblem checks that a CA file is an absolute path to a readable PEM bundle.
func caFileProblem(path string) string {
	if !filepath.IsAbs(path) {
		return fmt.Sprintf("%q is a relative path; enter the full path of the PEM file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return fmt.Sprintf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return ""
}

// sharedProfileExists checks an AWS shared-config profile with the SDK's own loader
// (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE honoured).
func sharedProfileExists(ctx context.Context, name string) error {
	cfgFile, credFile := sharedFiles()
	_, err := config.LoadSharedConfigProfile(ctx, name, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = []string{cfgFile}, []string{credFile}
	})
	var nf config.SharedConfigProfileNotExistError
	if errors.As(err, &nf) {
		return fmt.Errorf("there is no profile %q in %s or %s; run `aws configure --profile %s` (or `aws configure sso`) first",
			name, cfgFile, credFile, name)
	}
	if err != nil {
		return fmt.Errorf("the AWS config files could not be read: %v", err)
	}
	return nil
}
