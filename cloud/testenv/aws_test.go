package testenv_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

func TestSTSGetCallerIdentity(t *testing.T) {
	out, err := sts.NewFromConfig(testenv.Load(t).AWSConfig(t)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	require.Len(t, aws.ToString(out.Account), 12, "account id")
	require.True(t, strings.HasPrefix(aws.ToString(out.Arn), "arn:aws:"), aws.ToString(out.Arn))
}

func TestECRAPI(t *testing.T) {
	ctx := context.Background()
	c := ecr.NewFromConfig(testenv.Load(t).AWSConfig(t))
	repo := testenv.Name("th-smoke/agent")

	cr, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo),
		ImageTagMutability:         ecrtypes.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &ecrtypes.ImageScanningConfiguration{ScanOnPush: true}})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := c.DeleteRepository(context.Background(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String(repo), Force: true})
		if err != nil {
			t.Errorf("delete repository %s: %v", repo, err)
		}
	})
	require.Contains(t, aws.ToString(cr.Repository.RepositoryUri), "/"+repo)

	_, err = c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)})
	var exists *ecrtypes.RepositoryAlreadyExistsException
	require.ErrorAs(t, err, &exists, "create the same repository twice")

	d, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{repo}})
	require.NoError(t, err)
	require.Len(t, d.Repositories, 1)
	require.Equal(t, ecrtypes.ImageTagMutabilityImmutable, d.Repositories[0].ImageTagMutability)
	require.True(t, d.Repositories[0].ImageScanningConfiguration.ScanOnPush)

	_, err = c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{testenv.Name("th-smoke/missing")}})
	var nf *ecrtypes.RepositoryNotFoundException
	require.ErrorAs(t, err, &nf)

	tok, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	require.NoError(t, err)
	require.NotEmpty(t, tok.AuthorizationData)
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	require.NoError(t, err)
	user, pass, ok := strings.Cut(string(raw), ":")
	require.True(t, ok, "token is base64(user:password)")
	require.Equal(t, "AWS", user)
	require.NotEmpty(t, pass)
	require.NotEmpty(t, aws.ToString(tok.AuthorizationData[0].ProxyEndpoint))
	require.NotNil(t, tok.AuthorizationData[0].ExpiresAt)
}

func TestSecretsManager(t *testing.T) {
	ctx := context.Background()
	c := secretsmanager.NewFromConfig(testenv.Load(t).AWSConfig(t))
	name := testenv.Name("th-smoke/source-creds")

	cr, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(`{"accessKeyId":"AK","secretAccessKey":"SK"}`)})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := c.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: cr.ARN, ForceDeleteWithoutRecovery: aws.Bool(true)})
		if err != nil {
			t.Errorf("delete secret %s: %v", name, err)
		}
	})
	got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	require.NoError(t, err)
	require.Equal(t, `{"accessKeyId":"AK","secretAccessKey":"SK"}`, aws.ToString(got.SecretString))

	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: cr.ARN, SecretString: aws.String("v2")})
	require.NoError(t, err)
	got, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: cr.ARN})
	require.NoError(t, err)
	require.Equal(t, "v2", aws.ToString(got.SecretString))

	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(testenv.Name("th-smoke/missing"))})
	var nf *smtypes.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
}

func TestStepFunctions(t *testing.T) {
	ctx := context.Background()
	c := sfn.NewFromConfig(testenv.Load(t).AWSConfig(t))
	name := testenv.Name("th-smoke-sm")
	def := `{"StartAt":"Hello","States":{"Hello":{"Type":"Pass","Result":{"ok":true},"End":true}}}`

	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/th-smoke-sfn")})
	require.NoError(t, err)
	t.Cleanup(func() {
		if _, err := c.DeleteStateMachine(context.Background(), &sfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil {
			t.Errorf("delete state machine %s: %v", name, err)
		}
	})
	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	require.NoError(t, err)
	require.JSONEq(t, def, aws.ToString(d.Definition))

	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`{"images":["a:1"]}`)})
	require.NoError(t, err)
	// testenv.sh turns on moto's state machine interpreter (execute_state_machine), so the
	// Pass state really runs. It runs in the background: wait until it ends. The bound
	// only detects a hang: on a loaded machine the emulator's thread may take seconds.
	var de *sfn.DescribeExecutionOutput
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		de, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
		require.NoError(t, err)
		if de.Status != sfntypes.ExecutionStatusRunning || time.Now().After(deadline) {
			break
		}
	}
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, de.Status, "execution status (is execute_state_machine on in the emulator?)")
	require.JSONEq(t, `{"ok":true}`, aws.ToString(de.Output))
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn})
	require.NoError(t, err)
	require.Len(t, list.Executions, 1)
}
