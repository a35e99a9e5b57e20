package credentials

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/regclient/regclient/types/errs"
	"github.com/stretchr/testify/assert"
)

// Errors the local services cannot produce on demand, built the way the SDK and
// regclient wrap them.
func TestExplainWrappedErrors(t *testing.T) {
	apiErr := func(op, code string) error {
		return &smithy.OperationError{ServiceID: "STS", OperationName: op, Err: &smithy.GenericAPIError{Code: code, Message: "m"}}
	}
	cases := []struct {
		name string
		err  error
		kind Kind
		code string
		want string
	}{
		{"assume role refused", fmt.Errorf("get identity: %w", apiErr("AssumeRole", "AccessDenied")), KindAWS, CodeAssumeRoleDenied, "may not assume the role"},
		{"own call refused", apiErr("GetCallerIdentity", "AccessDenied"), KindAWS, CodeAccessDenied, "no permission"},
		{"STS unknown key", apiErr("GetCallerIdentity", "InvalidClientTokenId"), KindAWS, CodeWrongAccessKey, "Wrong access key ID"},
		{"expired session", apiErr("GetCallerIdentity", "ExpiredToken"), KindAWS, CodeExpiredToken, "have expired"},
		{"registry 401", fmt.Errorf("failed to ping registry r: %w", fmt.Errorf("%w [http 401]", errs.ErrHTTPUnauthorized)), KindRegistry, CodeUnauthorized, "refused the user name or password"},
		{"registry 404", fmt.Errorf("ping: %w", errs.ErrNotFound), KindRegistry, CodeNotRegistry, "not a container registry API"},
		{"deadline", fmt.Errorf("op: %w", context.DeadlineExceeded), KindS3Compatible, CodeTimeout, "did not answer in time"},
		{"anything else", errors.New("boom"), KindS3Compatible, CodeUnknown, "details below"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex := explain(tc.err, "the service", tc.kind)
			assert.Equal(t, tc.code, ex.code)
			assert.Contains(t, ex.message, tc.want)
		})
	}
}

func TestSSOErrorIsRecognised(t *testing.T) {
	err := &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
		Err: fmt.Errorf("get identity: get credentials: %w", &ssocreds.InvalidTokenError{Err: errors.New("token expired")})}
	assert.True(t, isSSOError(err))
	assert.False(t, isSSOError(errors.New("connection refused")))
}
