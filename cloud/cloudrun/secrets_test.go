package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/require"
)

// fakeSecrets serves one secret value and counts reads.
type fakeSecrets struct {
	value atomic.Value
	reads atomic.Int64
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.reads.Add(1)
	v, _ := f.value.Load().(string)
	if v == "" {
		return nil, errors.New("ResourceNotFoundException: no such secret")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

func TestReadSecretShapes(t *testing.T) {
	const hidden = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	cases := []struct {
		value string
		want  Secret
		err   string
	}{
		{`{"access_key_id":"AKIA1","secret_access_key":"` + hidden + `"}`, Secret{AccessKeyID: "AKIA1", SecretAccessKey: hidden}, ""},
		{`{"AccessKeyId":"AKIA1","SecretAccessKey":"` + hidden + `","SessionToken":"tok"}`, Secret{AccessKeyID: "AKIA1", SecretAccessKey: hidden, SessionToken: "tok"}, ""},
		{`{"username":"AWS","password":"` + hidden + `"}`, Secret{Username: "AWS", Password: hidden}, ""},
		{`{"access_key_id":"AKIA1"}`, Secret{}, "needs both access_key_id and secret_access_key"},
		{`{"password":"` + hidden + `"}`, Secret{}, "needs both username and password"},
		{`{"something":"else"}`, Secret{}, "holds neither"},
		{`AKIA1:` + hidden, Secret{}, "is not a JSON object"},
	}
	for _, c := range cases {
		api := &fakeSecrets{}
		api.value.Store(c.value)
		s, err := ReadSecret(context.Background(), api, "arn:secret")
		if c.err != "" {
			require.ErrorContains(t, err, c.err)
			require.NotContains(t, err.Error(), hidden, "a secret never appears in an error")
			continue
		}
		require.NoError(t, err)
		require.Equal(t, c.want, s)
		require.NotContains(t, fmt.Sprint(s), hidden)
		require.NotContains(t, fmt.Sprintf("%+v %#v", s, s), hidden)
		var b strings.Builder
		slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "secret", s)
		require.NotContains(t, b.String(), hidden, "nor in a log line")
	}
}

func TestSecretCredentialsRenewal(t *testing.T) {
	api := &fakeSecrets{}
	api.value.Store(`{"access_key_id":"AKIA1","secret_access_key":"one"}`)
	sc := NewSecretCredentials(api, "arn:s", 0)
	ctx := context.Background()
	c, err := sc.Retrieve(ctx)
	require.NoError(t, err)
	require.Equal(t, "one", c.SecretAccessKey)
	require.True(t, c.CanExpire, "renewed on expiry (hourly by default)")
	_, _ = sc.Retrieve(ctx)
	require.Equal(t, int64(1), api.reads.Load(), "cached")

	api.value.Store(`{"access_key_id":"AKIA1","secret_access_key":"two"}`)
	sc.Invalidate() // a 403: read again
	c, err = sc.Retrieve(ctx)
	require.NoError(t, err)
	require.Equal(t, "two", c.SecretAccessKey)
	for i := 0; i < 50; i++ {
		sc.Invalidate() // a storm of 403s (one unreadable object)...
		_, _ = sc.Retrieve(ctx)
	}
	require.Equal(t, int64(2), api.reads.Load(), "...does not become a storm of secret reads")
	require.Equal(t, "secret:arn:s", sc.Name())
}

func TestRegistrySecretToken(t *testing.T) {
	api := &fakeSecrets{}
	api.value.Store(`{"username":"AWS","password":"pw"}`)
	tok, err := RegistrySecret{API: api, ARN: "arn:r"}.Token(context.Background())
	require.NoError(t, err)
	require.Equal(t, "AWS", tok.User)
	require.Equal(t, "pw", tok.Password)
	api.value.Store(`{"access_key_id":"AKIA1","secret_access_key":"x"}`)
	_, err = RegistrySecret{API: api, ARN: "arn:r"}.Token(context.Background())
	require.ErrorContains(t, err, "holds no username/password")
}
