package app

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
)

func newCredentialsService(t *testing.T, opts ...credentials.Option) (*CredentialsService, *credentials.MemoryKeychain, *credentials.Manager) {
	t.Helper()
	kc := credentials.NewMemoryKeychain()
	mgr := credentials.NewManager(filepath.Join(t.TempDir(), "profiles.json"), kc, quietLogger(), opts...)
	svc := NewCredentialsService(mgr, quietLogger())
	require.NoError(t, svc.start(context.Background()))
	return svc, kc, mgr
}

func gatewayInput(name string) CredentialsInput {
	return CredentialsInput{
		Profile:       credentials.Profile{Name: name, Kind: credentials.KindS3Compatible, Provider: "minio", Endpoint: "http://127.0.0.1:1", AccessKeyID: "user"},
		Secret:        credentials.Secret{SecretAccessKey: "the-secret-key-value"},
		ReplaceSecret: true,
	}
}

func TestCredentialsServiceLifecycle(t *testing.T) {
	svc, kc, mgr := newCredentialsService(t)
	view, err := svc.List()
	require.NoError(t, err)
	assert.Empty(t, view.Profiles)
	assert.NotNil(t, view.Profiles, "an empty list, not null, for the table")
	assert.Equal(t, mgr.Path(), view.File)

	res, err := svc.Save(gatewayInput("gateway"))
	require.NoError(t, err)
	require.Empty(t, res.FieldErrors)
	assert.NotEmpty(t, res.Profile.ID)
	assert.True(t, res.Profile.SecretSet)

	// What the UI receives never holds the secret.
	view, err = svc.List()
	require.NoError(t, err)
	require.Len(t, view.Profiles, 1)
	js, err := json.Marshal(view)
	require.NoError(t, err)
	assert.NotContains(t, string(js), "the-secret-key-value")
	assert.Contains(t, string(js), `"secretSet":true`)

	// Editing without ReplaceSecret keeps the secret, even if the form sent something.
	edit := gatewayInput("gateway renamed")
	edit.Profile.ID = res.Profile.ID
	edit.Secret = credentials.Secret{SecretAccessKey: "ignored"}
	edit.ReplaceSecret = false
	res, err = svc.Save(edit)
	require.NoError(t, err)
	require.Empty(t, res.FieldErrors)
	r, err := mgr.Resolve(context.Background(), res.Profile.ID)
	require.NoError(t, err)
	assert.Equal(t, "the-secret-key-value", r.Secret.SecretAccessKey)

	test, err := svc.Test(res.Profile.ID)
	require.NoError(t, err)
	assert.False(t, test.OK)
	assert.Equal(t, credentials.CodeUnreachable, test.Code)
	view, err = svc.List()
	require.NoError(t, err)
	require.NotNil(t, view.Profiles[0].LastTest, "the table shows the last result")

	require.NoError(t, svc.Delete(res.Profile.ID))
	assert.Equal(t, 0, kc.Len())
	_, err = svc.Test(res.Profile.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not run")
}

func TestCredentialsServiceFieldErrors(t *testing.T) {
	svc, kc, _ := newCredentialsService(t)
	in := gatewayInput("")
	in.Profile.Endpoint = "ftp://x"
	res, err := svc.Save(in)
	require.NoError(t, err, "validation problems are field errors for the form, not a failed call")
	fields := map[string]string{}
	for _, f := range res.FieldErrors {
		fields[f.Field] = f.Message
	}
	assert.Contains(t, fields["name"], "enter a name")
	assert.Contains(t, fields["endpoint"], "http or https")
	assert.Equal(t, 0, kc.Len())

	// A new profile without a secret: the form must ask for one.
	in = gatewayInput("x")
	in.ReplaceSecret = false
	res, err = svc.Save(in)
	require.NoError(t, err)
	require.Len(t, res.FieldErrors, 1)
	assert.Equal(t, "secretAccessKey", res.FieldErrors[0].Field)
}

func TestCredentialsServiceKeychainProblem(t *testing.T) {
	svc, kc, _ := newCredentialsService(t)
	_, err := svc.Save(gatewayInput("gw"))
	require.NoError(t, err)
	kc.Fail(errors.New("no Secret Service on the bus"))
	view, err := svc.List()
	require.NoError(t, err, "the page still lists the profiles")
	require.Len(t, view.Profiles, 1)
	assert.False(t, view.Profiles[0].SecretSet)
	assert.Contains(t, view.Problem, "keychain could not be used")

	_, err = svc.Save(gatewayInput("other"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the credentials were not saved")
}

type tasksUsing []string

func (u tasksUsing) InUse(context.Context, string) ([]string, error) { return u, nil }

func TestCredentialsServiceDeleteInUse(t *testing.T) {
	svc, _, _ := newCredentialsService(t, credentials.WithUsageChecker(tasksUsing{"nightly"}))
	res, err := svc.Save(gatewayInput("gw"))
	require.NoError(t, err)
	err = svc.Delete(res.Profile.ID)
	require.Error(t, err)
	assert.Equal(t, `credentials "gw" are used by task "nightly": delete those tasks or switch them to other credentials first`, err.Error())
}

func TestCredentialsFormOptions(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	svc, _, _ := newCredentialsService(t)
	o := svc.FormOptions()
	assert.Equal(t, []string{"aws", "aws-cn", "aws-us-gov"}, o.Partitions)
	assert.Contains(t, o.Regions["aws-cn"], "cn-north-1")
	assert.Contains(t, o.Regions["aws"], "us-east-1")
	assert.NotNil(t, o.SharedProfiles)
	names := map[string]ProviderOption{}
	for _, p := range o.Providers {
		names[p.Name] = p
	}
	assert.NotContains(t, names, "aws", "Amazon S3 is its own kind")
	assert.Equal(t, "Alibaba Cloud OSS", names["aliyun-oss"].Label)
	assert.Equal(t, "https://oss-cn-hangzhou.aliyuncs.com", names["aliyun-oss"].EndpointExample)
	assert.True(t, names["other"].NeedsEndpoint)
	for _, p := range o.Providers {
		assert.NotEqual(t, p.Name, p.Label, "every provider has a label")
	}
}
