package cloudrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"transferhub/cloud/image/ecr"
)

// SecretsAPI is the part of the Secrets Manager client the agent uses.
type SecretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret is the far-side credential a task's stack keeps in Secrets Manager (written by
// the desktop app from the OS keychain). The JSON is DTH's: {"access_key_id": ...,
// "secret_access_key": ..., "session_token": ...}; registries use {"username": ...,
// "password": ...}. It never appears in logs or errors (String and LogValue hide it).
type Secret struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	SessionToken    string `json:"session_token,omitempty"`
	Username        string `json:"username,omitempty"`
	Password        string `json:"password,omitempty"`
}

func (Secret) String() string          { return "Secret{redacted}" }
func (Secret) LogValue() slog.Value    { return slog.StringValue("redacted") }
func (s Secret) GoString() string      { return s.String() }
func (s Secret) hasKeys() bool         { return s.AccessKeyID != "" && s.SecretAccessKey != "" }
func (s Secret) hasRegistryCred() bool { return s.Username != "" && s.Password != "" }

// ReadSecret reads and parses the secret arn (an ARN or a name). Errors name the secret
// and what is wrong with its shape, never its content.
func ReadSecret(ctx context.Context, api SecretsAPI, arn string) (Secret, error) {
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return Secret{}, fmt.Errorf("read secret %s: %w", arn, err)
	}
	raw := aws.ToString(out.SecretString)
	if raw == "" {
		return Secret{}, fmt.Errorf("secret %s has no string value (binary secrets are not supported)", arn)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return Secret{}, fmt.Errorf("secret %s is not a JSON object: store {\"access_key_id\":...,\"secret_access_key\":...} or {\"username\":...,\"password\":...}", arn)
	}
	get := func(names ...string) string {
		for _, n := range names {
			for k, v := range m {
				if strings.EqualFold(k, n) {
					if s, ok := v.(string); ok {
						return strings.TrimSpace(s)
					}
				}
			}
		}
		return ""
	}
	s := Secret{
		AccessKeyID:     get("access_key_id", "AccessKeyId", "aws_access_key_id"),
		SecretAccessKey: get("secret_access_key", "SecretAccessKey", "aws_secret_access_key"),
		SessionToken:    get("session_token", "SessionToken", "aws_session_token"),
		Username:        get("username", "user"),
		Password:        get("password", "token"),
	}
	switch {
	case s.hasKeys(), s.hasRegistryCred():
		return s, nil
	case s.AccessKeyID != "" || s.SecretAccessKey != "":
		return Secret{}, fmt.Errorf("secret %s needs both access_key_id and secret_access_key", arn)
	case s.Username != "" || s.Password != "":
		return Secret{}, fmt.Errorf("secret %s needs both username and password", arn)
	}
	return Secret{}, fmt.Errorf("secret %s holds neither access_key_id/secret_access_key nor username/password", arn)
}

// SecretCredentials are AWS keys read from a secret, cached, read again when they are
// older than Refresh (or their session expires) and when Invalidate is called after an
// authentication failure (rotated keys take effect without a restart).
type SecretCredentials struct {
	cache *aws.CredentialsCache
	name  string

	mu          sync.Mutex
	invalidated time.Time
}

// NewSecretCredentials reads the keys of secret arn through api; refresh ≤ 0 means hourly.
func NewSecretCredentials(api SecretsAPI, arn string, refresh time.Duration) *SecretCredentials {
	if refresh <= 0 {
		refresh = time.Hour
	}
	p := aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		s, err := ReadSecret(ctx, api, arn)
		if err != nil {
			return aws.Credentials{}, err
		}
		if !s.hasKeys() {
			return aws.Credentials{}, fmt.Errorf("secret %s holds no access_key_id/secret_access_key", arn)
		}
		return aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken,
			Source: "SecretsManager", CanExpire: true, Expires: time.Now().Add(refresh)}, nil
	})
	return &SecretCredentials{cache: aws.NewCredentialsCache(p), name: "secret:" + arn}
}

// Retrieve implements aws.CredentialsProvider.
func (s *SecretCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return s.cache.Retrieve(ctx)
}

// Provider is the credentials cache to hand to the SDK. It must be this very cache: the
// SDK wraps any other provider in a cache of its own, which Invalidate would not reach.
func (s *SecretCredentials) Provider() *aws.CredentialsCache { return s.cache }

// Name names the credential set for logs and principal comparisons (the ARN, no secret).
func (s *SecretCredentials) Name() string { return s.name }

// Invalidate drops the cached keys, at most every 10 s: a storm of 403s (one object the
// keys may not read) must not become a storm of secret reads.
func (s *SecretCredentials) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.invalidated) < 10*time.Second {
		return
	}
	s.invalidated = time.Now()
	s.cache.Invalidate()
}

// RegistrySecret is a registry credential read from a secret, for the image engine
// (image.TokenSource): renewed hourly and whenever the registry answers 401.
type RegistrySecret struct {
	API     SecretsAPI
	ARN     string
	Refresh time.Duration
}

// Token implements image.TokenSource.
func (r RegistrySecret) Token(ctx context.Context) (ecr.Token, error) {
	s, err := ReadSecret(ctx, r.API, r.ARN)
	if err != nil {
		return ecr.Token{}, err
	}
	if !s.hasRegistryCred() {
		return ecr.Token{}, errors.New("secret " + r.ARN + " holds no username/password for a registry")
	}
	refresh := r.Refresh
	if refresh <= 0 {
		refresh = time.Hour
	}
	return ecr.Token{User: s.Username, Password: s.Password, Expires: time.Now().Add(refresh)}, nil
}
