package imagetest

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"transferhub/cloud/testenv"
)

// NewECRProxy stands in for ECR: a proxy to the test registry with basic auth
// (testenv.RegAuth) that accepts only the ECR token of the AWS emulator that cfg
// reaches, as ECR would, and passes the registry's own credentials on. It closes when
// the test ends.
func NewECRProxy(t testing.TB, env *testenv.Env, cfg aws.Config) *Proxy {
	t.Helper()
	env.Require(t, testenv.RegAuth)
	p, err := NewProxy("https://"+env.Get("TH_REG_AUTH"), env.Get("TH_REG_AUTH_CA"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AuthorizationData) == 0 {
		t.Fatal("the emulator gave no ECR token")
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	p.RequireAuth = string(raw) // user:password
	p.ForwardAuth = env.Get("TH_REG_AUTH_USER") + ":" + env.Get("TH_REG_AUTH_PASS")
	return p
}
