package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
	"transferhub/cloud/spec"
	"transferhub/cloud/testenv"
)

// The definitions the app saved before the task spec had its own package (spec v1, as
// cloud/spec/testdata/v1 keeps them byte for byte) load with their profiles, and their
// spec is the one cloud/spec reads from the same bytes.
func TestSavedDefinitionsOfOlderBuildsLoad(t *testing.T) {
	files, err := filepath.Glob("../../cloud/spec/testdata/v1/desktop-*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		d, err := DecodeDefinition(raw)
		require.NoError(t, err, f)
		want, err := spec.Decode(raw)
		require.NoError(t, err)
		assert.Equal(t, want, d.Spec(), f)
		assert.NotEmpty(t, d.Profiles(), "%s: the profile ids are kept", f)
		// and the wire shape is the same: what the app writes now reads as before
		again, err := d.Encode()
		require.NoError(t, err)
		var before, after map[string]any
		require.NoError(t, json.Unmarshal(raw, &before))
		require.NoError(t, json.Unmarshal(again, &after))
		before["v"] = float64(DefinitionVersion)
		assert.Equal(t, before, after, f)
	}
}

// The desktop's definition is the spec's JSON plus a profile id per side: decoding it
// as a spec reads the same task.
func TestDefinitionEmbedsTheSpec(t *testing.T) {
	d := Definition{S3: &S3Spec{
		Source:      Location{ProfileID: "p1", Side: spec.Side{Kind: LocationS3, Bucket: "b", Prefix: "in/", Region: "eu-west-1"}},
		Destination: Location{Side: spec.Side{Kind: LocationLocal, Path: "/data"}},
		S3Options:   spec.S3Options{Compare: "size", Include: []string{"*.jpg"}, Concurrency: 8},
	}, Schedule: Schedule{Kind: ScheduleCron, Cron: "0 2 * * *"}}
	raw, err := d.Encode()
	require.NoError(t, err)
	for _, key := range []string{`"s3":{"source":{"kind":"s3","bucket":"b","prefix":"in/","region":"eu-west-1","profileId":"p1"}`,
		`"compare":"size"`, `"include":["*.jpg"]`, `"concurrency":8`, `"schedule":{"kind":"cron","cron":"0 2 * * *"}`} {
		assert.Contains(t, string(raw), key)
	}
	got, err := spec.Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, d.Spec(), got)
}

// A task state file the app wrote before (testdata: a bucket-to-bucket task with an
// interval schedule, written by commit 1f8d448) opens and runs.
func TestStateFileOfAnOlderBuildOpensAndRuns(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.S3A)
	ctx := context.Background()
	c := s3Client(t, env, testenv.S3A)
	const src, dst = "th-spec-legacy-src", "th-spec-legacy-dst"
	for _, b := range []string{src, dst} {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		if err != nil && !strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			require.NoError(t, err)
		}
		t.Cleanup(func() { emptyAndDelete(c, b) })
	}
	for _, k := range []string{"in/a.txt", "in/sub/c.txt", "in/skip.bin"} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(src), Key: aws.String(k), Body: bytes.NewReader([]byte("content of " + k))})
		require.NoError(t, err)
	}
	dir := t.TempDir()
	old, err := os.ReadFile("testdata/s3-84df17c036d0.db")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s3-84df17c036d0.db"), old, 0o600))
	creds := newFakeCreds(credentials.Resolved{Profile: credentials.Profile{ID: "legacy-gateway", Name: "Gateway", Kind: credentials.KindS3Compatible,
		Provider: "other", Endpoint: env.Get("TH_S3_A_ENDPOINT"), Region: env.Get("TH_S3_A_REGION"), PathStyle: true,
		AccessKeyID: env.Get("TH_S3_A_ACCESS_KEY")}, Secret: credentials.Secret{SecretAccessKey: env.Get("TH_S3_A_SECRET_KEY")}})
	m := newManager(t, dir, creds, nil)
	v, err := m.Get(ctx, "s3-84df17c036d0")
	require.NoError(t, err)
	assert.Equal(t, "legacy nightly copy", v.Name)
	require.NotNil(t, v.Spec.S3)
	assert.Equal(t, "legacy-gateway", v.Spec.S3.Source.ProfileID)
	assert.Equal(t, Schedule{Kind: ScheduleInterval, Every: "6h"}, v.Spec.Schedule)
	require.NoError(t, m.Start(ctx, v.ID))
	v = waitFor(t, m, v.ID, "IDLE after its run", func(v View) bool { return !v.Active && v.Counters.DoneObjects > 0 })
	assert.Equal(t, int64(2), v.Counters.DoneObjects, "status %s, error %q", v.Status, v.LastError)
	for _, k := range []string{"copy/a.txt", "copy/sub/c.txt"} {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(dst), Key: aws.String(k)})
		require.NoError(t, err, k)
		var b bytes.Buffer
		_, _ = b.ReadFrom(out.Body)
		out.Body.Close()
		assert.Equal(t, "content of in/"+strings.TrimPrefix(k, "copy/"), b.String())
	}
	assert.Equal(t, 2, countObjects(t, c, dst), "*.txt only")
}

func emptyAndDelete(c *s3.Client, bucket string) {
	ctx := context.Background()
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err == nil {
		for _, o := range out.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}
