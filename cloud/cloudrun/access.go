package cloudrun

import (
	"context"
	"fmt"
	"time"

	"transferhub/cloud/objstore"
	"transferhub/cloud/spec"
)

// SecretAccess reaches the bucket sides of a task whose keys are in Secrets Manager
// (spec.Credentials): the keys are read at start, so a wrong ARN or a malformed
// secret fails the process at once rather than every object, then renewed every
// Refresh and after any 401/403. Sides without a secret ARN get nothing from it.
type SecretAccess struct {
	API     SecretsAPI
	Refresh time.Duration
}

// S3Config implements spec.Credentials.
func (s SecretAccess) S3Config(ctx context.Context, role spec.Role, side spec.Side) (objstore.S3Config, error) {
	if side.SecretARN == "" {
		return objstore.S3Config{}, nil
	}
	if s.API == nil {
		return objstore.S3Config{}, fmt.Errorf("%s credentials: no Secrets Manager client to read %s", role, side.SecretARN)
	}
	sc := NewSecretCredentials(s.API, side.SecretARN, s.Refresh)
	if _, err := sc.Retrieve(ctx); err != nil {
		return objstore.S3Config{}, fmt.Errorf("%s credentials: %w", role, err)
	}
	return objstore.S3Config{Credentials: sc.Provider(), CredentialsName: sc.Name(), OnAuthError: sc.Invalidate}, nil
}
