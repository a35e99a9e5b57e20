package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Credentials are far-side keys for a cloud task: AWS-style keys of an S3 side (or an
// ECR side), or a registry's user name and password. They go to Secrets Manager; the
// stack gets the secret's ARN only.
type Credentials struct {
	AccessKeyID, SecretAccessKey string
	// SessionToken marks temporary credentials (SSO, an assumed role, an instance
	// profile): they cannot be stored, they expire.
	SessionToken       string
	Username, Password string
}

// ErrTemporaryCredentials: the keys expire, so a task running for days cannot use them.
var ErrTemporaryCredentials = errors.New("only long-lived keys can be stored for a cloud task: these are temporary credentials (SSO, an assumed role or an instance profile) and would expire. " +
	"Give a role instead (--src-role-arn/--dst-role-arn with an external id): the task's roles assume it, and its trust policy must allow this account")

// empty: no keys given.
func (c Credentials) empty() bool { return c == Credentials{} }

// secretString is the secret as the agent reads it (cloud/docs/cloud-run.md, Secrets).
func (c Credentials) secretString() (string, error) {
	switch {
	case c.SessionToken != "":
		return "", ErrTemporaryCredentials
	case c.AccessKeyID != "" || c.SecretAccessKey != "":
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return "", errors.New("give both the access key id and the secret access key")
		}
		b, err := json.Marshal(map[string]string{"access_key_id": c.AccessKeyID, "secret_access_key": c.SecretAccessKey})
		return string(b), err
	case c.Username != "" || c.Password != "":
		if c.Username == "" || c.Password == "" {
			return "", errors.New("give both the user name and the password")
		}
		b, err := json.Marshal(map[string]string{"username": c.Username, "password": c.Password})
		return string(b), err
	}
	return "", errors.New("no keys given")
}

// Secret is a task's stored keys.
type Secret struct {
	Side Side   `json:"side"`
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// Created: made by this deploy (a discarded plan deletes it again); otherwise the
	// existing secret got the new value.
	Created bool `json:"created,omitempty"`
	// Pending: a dry run; nothing was stored. ARN stands in for the one to come.
	Pending bool `json:"pending,omitempty"`

	// version is the value this deploy stored in an existing secret, previous the one it
	// replaced: a plan that is discarded, or whose update fails, puts the previous back
	// (the stack still runs the old sides, which need the old keys).
	version, previous string
}

// PutSecret stores a task side's keys in Secrets Manager under SecretName, encrypted
// with the control plane's key: a new secret, or a new value of the existing one
// (updating a profile updates the secret). A secret that was scheduled for deletion
// (a task deleted and deployed again) is restored first.
func (d *Deployer) PutSecret(ctx context.Context, keyARN, controlPlane, taskID string, side Side, c Credentials) (Secret, error) {
	value, err := c.secretString()
	if err != nil {
		return Secret{}, fmt.Errorf("the %s keys of task %s: %w", sideName(side), taskID, err)
	}
	name := SecretName(controlPlane, taskID, side)
	s := Secret{Side: side, Name: name}
	out, err := d.c.Secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value), KmsKeyId: aws.String(keyARN),
		Description: aws.String("Transfer Hub task " + taskID + ": " + sideName(side) + " keys"),
		Tags:        []smtypes.Tag{{Key: aws.String(TagControlPlane), Value: aws.String(controlPlane)}, {Key: aws.String(TagTaskID), Value: aws.String(taskID)}},
	})
	if err == nil {
		s.ARN, s.Created = aws.ToString(out.ARN), true
		return s, nil
	}
	var exists *smtypes.ResourceExistsException
	var invalidReq *smtypes.InvalidRequestException
	switch {
	case errors.As(err, &exists):
	case errors.As(err, &invalidReq) && strings.Contains(err.Error(), "scheduled for deletion"):
		if _, err := d.c.Secrets.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)}); err != nil {
			return Secret{}, fmt.Errorf("restore the secret %s: %w", name, err)
		}
	default:
		return Secret{}, fmt.Errorf("store the %s keys of task %s in Secrets Manager: %w", sideName(side), taskID, err)
	}
	desc, err := d.c.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		return Secret{}, fmt.Errorf("read the secret %s: %w", name, err)
	}
	if desc.DeletedDate != nil {
		if _, err := d.c.Secrets.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)}); err != nil {
			return Secret{}, fmt.Errorf("restore the secret %s: %w", name, err)
		}
	}
	if aws.ToString(desc.KmsKeyId) != keyARN {
		// A control plane deployed again has a new key.
		if _, err := d.c.Secrets.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String(name), KmsKeyId: aws.String(keyARN)}); err != nil {
			return Secret{}, fmt.Errorf("encrypt the secret %s with the control plane's key: %w", name, err)
		}
	}
	for id, stages := range desc.VersionIdsToStages {
		if slices.Contains(stages, stageCurrent) {
			s.previous = id
		}
	}
	put, err := d.c.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		return Secret{}, fmt.Errorf("update the %s keys of task %s: %w", sideName(side), taskID, err)
	}
	s.ARN, s.version = aws.ToString(desc.ARN), aws.ToString(put.VersionId)
	return s, nil
}

// stageCurrent labels a secret's value in use.
const stageCurrent = "AWSCURRENT"

// restorePrevious makes the value a secret had before PutSecret current again (no-op
// for a secret PutSecret made, or whose value it did not replace).
func (d *Deployer) restorePrevious(ctx context.Context, s Secret) error {
	if s.Created || s.Pending || s.previous == "" || s.version == "" || s.previous == s.version {
		return nil
	}
	_, err := d.c.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(s.ARN),
		VersionStage: aws.String(stageCurrent), MoveToVersionId: aws.String(s.previous), RemoveFromVersionId: aws.String(s.version)})
	if err != nil {
		return fmt.Errorf("put the previous %s keys back into the secret %s: %w", sideName(s.Side), s.Name, err)
	}
	return nil
}

// pendingSecret is what a dry run says about a side's keys: the existing secret's ARN
// (its value would be replaced) or a stand-in for the one to be made.
func (d *Deployer) pendingSecret(ctx context.Context, partition, account, controlPlane, taskID string, side Side, c Credentials) (Secret, error) {
	if _, err := c.secretString(); err != nil {
		return Secret{}, fmt.Errorf("the %s keys of task %s: %w", sideName(side), taskID, err)
	}
	name := SecretName(controlPlane, taskID, side)
	s := Secret{Side: side, Name: name, Pending: true}
	desc, err := d.c.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	var nf *smtypes.ResourceNotFoundException
	switch {
	case err == nil && desc.DeletedDate == nil:
		s.ARN = aws.ToString(desc.ARN)
	case err == nil || errors.As(err, &nf):
		s.ARN = "arn:" + partition + ":secretsmanager:" + d.region + ":" + account + ":secret:" + name + "-NEW"
		s.Created = true
	default:
		return Secret{}, fmt.Errorf("look up the secret %s: %w", name, err)
	}
	return s, nil
}

// DeleteSecret deletes a task's secret at once (no recovery window: the keys are the
// user's own and deploying the task again stores them again). A secret that is gone
// is deleted.
func (d *Deployer) DeleteSecret(ctx context.Context, arn string) error {
	_, err := d.c.Secrets.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)})
	var nf *smtypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete the secret %s: %w", arn, err)
	}
	return nil
}

func sideName(s Side) string {
	if s == Destination {
		return "destination"
	}
	return "source"
}
