package stack

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/stack/cfnyaml"
)

// Realistic parameters of the three stacks, as a deployer builds them.

const (
	exAccount = "123456789012"
	exSHA1    = "1111111111111111111111111111111111111111111111111111111111111111"
	exSHA2    = "2222222222222222222222222222222222222222222222222222222222222222"
	exSHA3    = "3333333333333333333333333333333333333333333333333333333333333333"
)

func exampleControlPlane() ControlPlaneParams {
	return ControlPlaneParams{Network: Network{VPCID: "vpc-0a1b2c3d", SubnetIDs: []string{"subnet-0a1", "subnet-0b2"}, PublicIP: true}}
}

func exampleOutputs() ControlPlaneOutputs {
	return ControlPlaneOutputs{
		AssetsBucket:       "thub-assetsbucket-abc",
		KeyARN:             "arn:aws:kms:us-east-1:" + exAccount + ":key/0d434fa1-acad-4618-a4d4-ca553d3e0030",
		AgentRepositoryURI: exAccount + ".dkr.ecr.us-east-1.amazonaws.com/thub/agent",
		AgentRepositoryARN: "arn:aws:ecr:us-east-1:" + exAccount + ":repository/thub/agent",
		ClusterARN:         "arn:aws:ecs:us-east-1:" + exAccount + ":cluster/thub-Cluster-X",
		TasksTable:         "thub-TasksTable-X",
		AlertTopicARN:      "arn:aws:sns:us-east-1:" + exAccount + ":thub-AlertTopic-X",
		AgentLogGroup:      "thub-AgentLogGroup-X",
		SecurityGroupID:    "sg-0123",
		SubnetIDs:          []string{"subnet-0a1", "subnet-0b2"},
		AssignPublicIP:     "ENABLED",
		VPCID:              "vpc-0a1b2c3d",
	}
}

func exampleAgent(cp ControlPlaneOutputs) AgentAssets {
	return AgentAssets{Image: cp.AgentRepositoryURI + "@sha256:" + exSHA3, Arm64SHA256: exSHA1, Amd64SHA256: exSHA2, LambdaSHA256: exSHA3}
}

// exampleS3Task is a task with most settings used: secrets on both sides, a role, a
// prefix list, events with deletes, a daily schedule in a named zone.
func exampleS3Task(cp ControlPlaneOutputs) S3TaskParams {
	return S3TaskParams{
		ControlPlane: cp,
		Agent:        exampleAgent(cp),
		TaskID:       "t-photos",
		TaskName:     "photos to the archive",
		Env: map[string]string{
			"THUB_SRC":                 "s3://photos/2024/",
			"THUB_SRC_PROVIDER":        "aliyun-oss",
			"THUB_SRC_REGION":          "cn-hangzhou",
			"THUB_SRC_SECRET_ARN":      "arn:aws:secretsmanager:us-east-1:" + exAccount + ":secret:thub/t-photos/src-AbCdEf",
			"THUB_DST":                 "s3://archive/photos/",
			"THUB_DST_REGION":          "us-east-1",
			"THUB_DST_ROLE_ARN":        "arn:aws:iam::" + exAccount + ":role/archive-writer",
			"THUB_DST_EXTERNAL_ID":     "ext-1",
			"THUB_COMPARE":             "size+etag",
			"THUB_INCLUDE":             "**/*.jpg,**/*.png",
			"THUB_EXCLUDE":             "tmp/**",
			"THUB_PREFIX_LIST":         ListURL(cp.AssetsBucket, "t-photos", "prefixes.txt"),
			"THUB_MIN_SIZE":            "1KiB",
			"THUB_MODIFIED_AFTER":      "2024-01-01",
			"THUB_DELETE":              "false",
			"THUB_LIST_WORKERS":        "32",
			"THUB_SPLIT_FLAT_LEVELS":   "true",
			"THUB_SERVER_SIDE":         "auto",
			"THUB_CONCURRENCY":         "128",
			"THUB_PART_SIZE":           "64MiB",
			"THUB_MULTIPART_THRESHOLD": "64MiB",
			"THUB_MAX_MEMORY":          "1GiB",
			"THUB_STALL_TIMEOUT":       "2m",
			"THUB_STORAGE_CLASS":       "INTELLIGENT_TIERING",
			"THUB_ACL":                 "bucket-owner-full-control",
			"THUB_SSE":                 "aws:kms",
			"THUB_SSE_KMS_KEY_ID":      "arn:aws:kms:us-east-1:" + exAccount + ":key/archive",
			"THUB_TAGS":                "project=photos&copied-by=thub",
			"THUB_EVENTS":              "create-and-delete",
			"THUB_SCHEDULE":            "CRON_TZ=Europe/Berlin 0 2 * * *",
			"THUB_GRACE":               "30s",
		},
		Fleet:      Fleet{MaxWorkers: 20, Spot: true, BacklogPerWorker: 5, Idle: 15 * time.Minute},
		AlarmEmail: "ops@example.com",
		NoProgress: 90 * time.Minute,
	}
}

func exampleImageTask(cp ControlPlaneOutputs) ImageTaskParams {
	return ImageTaskParams{
		ControlPlane: cp,
		Agent:        exampleAgent(cp),
		TaskID:       "t-images",
		Env: map[string]string{
			"THUB_IMAGE_LIST":         ListURL(cp.AssetsBucket, "t-images", "images.txt"),
			"THUB_DST_ECR":            "us-east-1",
			"THUB_DST_PREFIX":         "mirror",
			"THUB_ECR_SCAN_ON_PUSH":   "true",
			"THUB_ECR_IMMUTABLE_TAGS": "true",
			"THUB_TAG_EXCLUDE":        ".*-rc.*",
			"THUB_LATEST":             "5",
			"THUB_PLATFORM":           "linux/amd64,linux/arm64",
			"THUB_SRC_SECRET_ARN":     "arn:aws:secretsmanager:us-east-1:" + exAccount + ":secret:thub/t-images/src-AbCdEf",
			"THUB_BATCH_SIZE":         "10",
			"THUB_SCHEDULE":           "@every 6h",
		},
		Run:        ImageRun{MaxConcurrency: 5},
		AlarmEmail: "ops@example.com",
	}
}

func paramMap(t *testing.T, ps []types.Parameter, err error) map[string]string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, p := range ps {
		m[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	return m
}

func parse(t *testing.T, tpl Template) *cfnyaml.Template {
	t.Helper()
	doc, err := cfnyaml.Parse([]byte(tpl.Body))
	if err != nil {
		t.Fatalf("%s: %v", tpl.Kind, err)
	}
	return doc
}

// props returns a resource's properties, failing when it is missing.
func props(t *testing.T, doc *cfnyaml.Template, name string) map[string]any {
	t.Helper()
	r, ok := doc.Resources[name]
	if !ok {
		t.Fatalf("no resource %s", name)
	}
	return r.Properties
}

// get walks a path of map keys / list indexes ("a.b.0.c").
func get(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
