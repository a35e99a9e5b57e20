package stack

import (
	"errors"
	"strings"
	"testing"
	"time"

	"transferhub/cloud/invalid"
	"transferhub/cloud/spec"
	"transferhub/cloud/stack/cfnyaml"
	"transferhub/cloud/state"
)

func TestParseSchedule(t *testing.T) {
	for _, c := range []struct{ in, expr, zone, err string }{
		{"", "", "UTC", ""},
		{"@every 30m", "rate(30 minutes)", "UTC", ""},
		{"@every 1h", "rate(1 hour)", "UTC", ""},
		{"@every 90m", "rate(90 minutes)", "UTC", ""},
		{"@every 48h", "rate(2 days)", "UTC", ""},
		{"@every 30s", "", "", "whole minutes"},
		{"@every soon", "", "", "not a duration"},
		{"0 2 * * *", "cron(0 2 * * ? *)", "UTC", ""},
		{"CRON_TZ=Europe/Berlin 0 2 * * *", "cron(0 2 * * ? *)", "Europe/Berlin", ""},
		{"TZ=Asia/Shanghai */15 * * * *", "cron(0/15 * * * ? *)", "Asia/Shanghai", ""},
		{"30 6 * * 1-5", "cron(30 6 ? * 2,3,4,5,6 *)", "UTC", ""},
		{"0 0 * * 0", "cron(0 0 ? * 1 *)", "UTC", ""},
		{"0 0 * * 7", "cron(0 0 ? * 1 *)", "UTC", ""},
		{"0 0 * * SAT,SUN", "cron(0 0 ? * 1,7 *)", "UTC", ""},
		{"0 0 * * 5-7", "cron(0 0 ? * 1,6,7 *)", "UTC", ""},
		{"0 0 1,15 * *", "cron(0 0 1,15 * ? *)", "UTC", ""},
		{"0 0 1 * 1", "", "", "not both"},
		{"0 0 * *", "", "", "5 fields"},
		{"@daily", "cron(0 0 * * ? *)", "UTC", ""},
		{"@reboot", "", "", "@every"},
		{"@at 2026-05-01T02:00", "at(2026-05-01T02:00:00)", "UTC", ""},
		{"CRON_TZ=America/New_York @at 2026-05-01T02:00", "at(2026-05-01T02:00:00)", "America/New_York", ""},
		{"CRON_TZ=Europe/Berlin @at 2026-05-01T02:00:00+02:00", "at(2026-05-01T00:00:00)", "UTC", ""},
		{"@at tomorrow", "", "", "write 2026-05-01T02:00"},
		{"CRON_TZ=Mars/Olympus 0 2 * * *", "", "", "not a time zone"},
	} {
		s, err := ParseSchedule(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || s.Expression != c.expr || s.TimeZone != c.zone {
			t.Errorf("%q: %q in %q (%v), want %q in %q", c.in, s.Expression, s.TimeZone, err, c.expr, c.zone)
		}
	}
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	if !errors.Is(err, invalid.ErrInvalid) {
		t.Fatalf("error %v is not an invalid.Error", err)
	}
	fs, _ := invalid.Fields(err)
	m := map[string]string{}
	for _, f := range fs {
		m[f.Field] = f.Message
	}
	return m
}

// refuses checks that err (an invalid.Error) names each field of want with a message
// that says want's words for it.
func refuses(t *testing.T, err error, want map[string]string) {
	t.Helper()
	got := fields(t, err)
	for f, msg := range want {
		if !strings.Contains(got[f], msg) {
			t.Errorf("%s: %q, want it to say %q", f, got[f], msg)
		}
	}
}

func TestS3TaskParamsRefuseWhatCannotGoIntoAStack(t *testing.T) {
	cp := exampleOutputs()
	p := exampleS3Task(cp)
	p.Env["THUB_SRC_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG"
	p.Env["THUB_QUEUE_URL"] = "https://sqs.example/q"
	p.Env["THUB_VISIBILITY"] = "5m"
	p.Env["THUB_INCLUDE"] = "a\nb"
	p.Env["THUB_EXCLUDE"] = `it's`
	p.Env["THUB_DST_SECRET_ARN"] = "my-secret"
	p.Env["THUB_SRC_ROLE_ARN"] = "role/x"
	p.Env["THUB_PREFIX_LIST"] = "/home/me/prefixes.txt"
	p.Env["THUB_DST"] = "/local/dir"
	p.Env["THUB_SCHEDULE"] = "0 0 1 * 1"
	p.Env["THUB_GRACE"] = "1.5s"
	p.Fleet.InstanceTypes = []string{"c7g.large", "c7i.large"}
	p.Finder = FargateSize{CPU: 256, MemoryMiB: 4096}
	p.AlarmEmail = "ops"
	p.TaskID = "no spaces"
	_, err := p.Parameters()
	refuses(t, err, map[string]string{
		"env.THUB_SRC_SECRET_ACCESS_KEY": "Secrets Manager",
		"env.THUB_QUEUE_URL":             "set by the stack",
		"env.THUB_VISIBILITY":            "not a setting",
		"env.THUB_INCLUDE":               "control characters",
		"env.THUB_EXCLUDE":               "quotes",
		"env.THUB_DST_SECRET_ARN":        "whole ARN",
		"env.THUB_SRC_ROLE_ARN":          "whole ARN",
		"env.THUB_PREFIX_LIST":           "assets bucket",
		"env.THUB_DST":                   "s3://bucket",
		"env.THUB_SCHEDULE":              "not both",
		"env.THUB_GRACE":                 "whole seconds",
		"fleet.instanceTypes":            "one architecture",
		"finder":                         "not a Fargate size",
		"alarmEmail":                     "e-mail",
		"taskId":                         "letters",
	})
	if strings.Contains(err.Error(), "wJalrXUtnFEMI") {
		t.Error("the error quotes a secret")
	}
}

func TestS3TaskParamsDerivedValues(t *testing.T) {
	cp := exampleOutputs()
	p := exampleS3Task(cp)
	p.Fleet.InstanceTypes = []string{"c7i.large", "m7i.large"}
	ps, err := p.Parameters()
	m := paramMap(t, ps, err)
	for k, v := range map[string]string{
		"SrcBucket": "photos", "SrcPrefix": "2024/", "DstBucket": "archive", "DstPrefix": "photos/",
		"ScheduleExpression": "cron(0 2 * * ? *)", "ScheduleTimeZone": "Europe/Berlin", "Schedule": "CRON_TZ=Europe/Berlin 0 2 * * *",
		"GraceSeconds": "30", "StopTimeoutSeconds": "70", "QueueVisibilitySeconds": "300", "NoProgressMinutes": "90", "IdleMinutes": "15",
		"WorkerImageId": al2023Amd64, "InstanceTypes": "c7i.large,m7i.large", "Spot": "true",
		"DstKmsKeyArn": "arn:aws:kms:us-east-1:" + exAccount + ":key/archive", "SubnetIds": "subnet-0a1,subnet-0b2",
	} {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	p.Env["THUB_PART_SIZE"] = "5GiB"
	ps, err = p.Parameters()
	if got := paramMap(t, ps, err)["QueueVisibilitySeconds"]; got != "5180" {
		t.Errorf("a 5 GiB part: the queue's visibility is %s s", got)
	}
	p.Env = map[string]string{"THUB_SRC": "s3://a", "THUB_DST": "s3://b/x"}
	ps, err = p.Parameters()
	m = paramMap(t, ps, err)
	if m["Events"] != "none" || m["Delete"] != "false" || m["ScheduleExpression"] != "" || m["SrcPrefix"] != "" || m["WorkerImageId"] != al2023Amd64 {
		t.Errorf("defaults: %v", m)
	}
}

func TestImageTaskParamsRefuseWhatCannotGoIntoAStack(t *testing.T) {
	cp := exampleOutputs()
	p := exampleImageTask(cp)
	p.Env["THUB_IMAGE_SOURCES"] = "docker.io/library/alpine:3"
	p.Env["THUB_IMAGE_DEST"] = "registry.example.com"
	p.Env["THUB_BATCH_SIZE"] = "200"
	p.Env["THUB_SRC_ECR_HOST"] = "127.0.0.1:5000"
	p.Env["THUB_ECR_KMS_KEY"] = "alias/mine"
	p.Run.MaxConcurrency = 100
	_, err := p.Parameters()
	refuses(t, err, map[string]string{
		"env.THUB_IMAGE_SOURCES": "image list",
		"env.THUB_IMAGE_DEST":    "one destination",
		"env.THUB_BATCH_SIZE":    "8 KiB",
		"env.THUB_SRC_ECR_HOST":  "for tests",
		"env.THUB_ECR_KMS_KEY":   "whole ARN",
		"run.maxConcurrency":     "1 to 40",
	})
	p = exampleImageTask(cp)
	p.Env = map[string]string{"THUB_DST_ECR": "us-east-1"}
	if got := fields(t, func() error { _, err := p.Parameters(); return err }()); !strings.Contains(got["env.THUB_IMAGE_LIST"], "no source") {
		t.Errorf("no source: %v", got)
	}
	p.Env = map[string]string{"THUB_SRC_ECR": "eu-west-1", "THUB_DST_ECR": "us-east-1", "THUB_TAG_INCLUDE": strings.Repeat("v", 4000)}
	if got := fields(t, func() error { _, err := p.Parameters(); return err }()); !strings.Contains(got["env"], "4 KB") {
		t.Errorf("a Lambda environment over 4 KB: %v", got)
	}
	p.Env = map[string]string{"THUB_SRC_ECR": "eu-west-1", "THUB_DST_ECR": "us-east-1"}
	p.Run = ImageRun{RetryAttempts: -1, Timeout: 2 * time.Hour}
	ps, err := p.Parameters()
	m := paramMap(t, ps, err)
	if m["RetryAttempts"] != "0" || m["RunTimeoutSeconds"] != "7200" || m["MaxConcurrency"] != "10" || m["CopierCpu"] != "512" {
		t.Errorf("run parameters %v", m)
	}
}

func TestControlPlaneParams(t *testing.T) {
	_, err := ControlPlaneParams{Name: "Thub", Network: Network{VPCID: "vpc-1", SubnetIDs: []string{"sn-1"}, NAT: true}, LogRetentionDays: 10}.Parameters()
	refuses(t, err, map[string]string{"name": "lower-case", "network.subnetIds": "not a subnet", "network.routeTableIds": "route tables",
		"network.natSubnetId": "public subnet", "logRetentionDays": "not a CloudWatch Logs retention"})
	ps, err := exampleControlPlane().Parameters()
	m := paramMap(t, ps, err)
	if m["Name"] != "thub" || m["AssignPublicIp"] != "ENABLED" || m["VpcEndpoints"] != "false" || m["NatGateway"] != "false" || m["LogRetentionDays"] != "30" {
		t.Errorf("defaults %v", m)
	}
}

func TestSettingsLists(t *testing.T) {
	s3 := strings.Join(S3TaskSettings(), ",")
	for _, v := range []string{"THUB_SRC", "THUB_DST", "THUB_SCHEDULE", "THUB_PREFIX_LIST", "THUB_SRC_SECRET_ARN", "THUB_GRACE"} {
		if !strings.Contains(","+s3+",", ","+v+",") {
			t.Errorf("S3TaskSettings lacks %s", v)
		}
	}
	if strings.Contains(s3, "THUB_TASK_ID") || strings.Contains(s3, "THUB_QUEUE_URL") {
		t.Error("S3TaskSettings lists what the stack sets")
	}
	img := strings.Join(ImageTaskSettings(), ",")
	if !strings.Contains(img, "THUB_IMAGE_LIST") || strings.Contains(img, "THUB_IMAGE_SOURCES") {
		t.Errorf("ImageTaskSettings %s", img)
	}
}

func TestParseOutputs(t *testing.T) {
	_, err := ParseS3TaskOutputs(nil)
	if err == nil || !strings.Contains(err.Error(), "QueueUrl") {
		t.Errorf("no outputs: %v", err)
	}
}

// The policy check itself fails on what it should refuse.
func TestPolicyCheckCanFail(t *testing.T) {
	doc, err := cfnyaml.Parse([]byte(`
Parameters:
  Bucket: {Type: String}
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      Roles: [r]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: s3:GetObject, Resource: "*"}
          - {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::someone-elses/*"}
          - {Effect: Allow, Action: s3:GetObject, Resource: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"}
`))
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]bool{"Bucket": true}
	st := get(doc.Resources["P"].Properties, "PolicyDocument.Statement").([]any)
	if namesOwn(get(st[0], "Resource"), own) || namesOwn(get(st[1], "Resource"), own) || !namesOwn(get(st[2], "Resource"), own) {
		t.Error("namesOwn does not tell the stack's own resources from others")
	}
	if get(doc.Resources["P"].Properties, "PolicyDocument.Statement.2.Resource.Fn::Sub") != "arn:${AWS::Partition}:s3:::${Bucket}/*" {
		t.Error("short tags are not read into their long form")
	}
}

// TestEverySpecSettingHasAPlace: each setting of the task spec's agent contract
// (spec.Variables with a spec field) is a stack parameter, handled by Parameters, or
// refused with a reason; none is silently lost.
func TestEverySpecSettingHasAPlace(t *testing.T) {
	for typ, m := range map[state.TaskType]struct {
		mapping []setting
		special map[string]bool
		refused map[string]string
	}{state.TaskS3: {s3Settings, s3Special, s3Refused}, state.TaskImage: {imageSettings, imageSpecial, imageRefused}} {
		mapped := map[string]bool{}
		for _, s := range m.mapping {
			mapped[s.env] = true
		}
		for _, v := range spec.Variables(typ) {
			if v.Field == "" {
				continue // process settings: the stack sets them or leaves the agent's defaults
			}
			if !mapped[v.Name] && !m.special[v.Name] && m.refused[v.Name] == "" && sideRefused[v.Name] == "" && !dropped[v.Name] && !keyVar.MatchString(v.Name) {
				t.Errorf("%v: the spec's %s (%s) has no place in the stack", typ, v.Name, v.Field)
			}
		}
	}
}

// TestSpecsBecomeParameters: a task spec as a cloud task has it goes through TaskEnv
// into parameters; one reached through a profile is refused with why.
func TestSpecsBecomeParameters(t *testing.T) {
	cp := exampleOutputs()
	s3 := spec.Task{V: spec.Version, S3: &spec.S3{
		Source:      spec.Side{Kind: spec.KindS3, Bucket: "photos", Prefix: "2024/", Region: "cn-hangzhou", Provider: "aliyun-oss", Access: spec.Access{SecretARN: "arn:aws:secretsmanager:us-east-1:" + exAccount + ":secret:src-AbCdEf"}},
		Destination: spec.Side{Kind: spec.KindS3, Bucket: "archive", Access: spec.Access{RoleARN: "arn:aws:iam::" + exAccount + ":role/writer", ExternalID: "x"}},
		S3Options: spec.S3Options{Compare: "checksum", Include: []string{"**/*.jpg"}, Prefixes: []string{"a/", "b/"}, Delete: true, Concurrency: 32,
			PrefixList: ListURL(cp.AssetsBucket, "t1", "prefixes.txt"), StorageClass: "STANDARD_IA", Events: "create"}},
		Schedule: spec.Schedule{Kind: spec.ScheduleCron, Cron: "0 3 * * 1", TimeZone: "Asia/Shanghai"}}
	ps, err := S3TaskParams{ControlPlane: cp, Agent: exampleAgent(cp), TaskID: "t1", Env: TaskEnv(s3)}.Parameters()
	m := paramMap(t, ps, err)
	for k, v := range map[string]string{"SrcBucket": "photos", "SrcPrefix": "2024/", "SrcProvider": "aliyun-oss", "DstRoleArn": "arn:aws:iam::" + exAccount + ":role/writer",
		"Compare": "checksum", "Prefixes": "a/,b/", "Delete": "true", "Concurrency": "32", "Events": "create",
		"ScheduleExpression": "cron(0 3 ? * 2 *)", "ScheduleTimeZone": "Asia/Shanghai"} {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	s3.S3.Source.Access = spec.Access{AWSProfile: "work"}
	_, err = S3TaskParams{ControlPlane: cp, Agent: exampleAgent(cp), TaskID: "t1", Env: TaskEnv(s3)}.Parameters()
	if got := fields(t, err)["env.THUB_SRC_PROFILE"]; !strings.Contains(got, "profile exists only on this computer") {
		t.Errorf("a profile: %q", got)
	}

	img := spec.Task{V: spec.Version, Image: &spec.Image{
		Source:       spec.ImageSource{Kind: spec.KindRegistry, Lists: []string{ListURL(cp.AssetsBucket, "t2", "a.txt"), ListURL(cp.AssetsBucket, "t2", "b.txt")}},
		Destination:  spec.ImageDestination{Kind: spec.KindECR, Region: "us-east-1", Prefix: "mirror", ScanOnPush: true},
		ImageOptions: spec.ImageOptions{Referrers: true, RecheckReferrers: true, NoDockerConfig: true, Platforms: []string{"linux/arm64"}}}}
	ps, err = ImageTaskParams{ControlPlane: cp, Agent: exampleAgent(cp), TaskID: "t2", Env: TaskEnv(img)}.Parameters()
	m = paramMap(t, ps, err)
	for k, v := range map[string]string{"ImageList": ListURL(cp.AssetsBucket, "t2", "a.txt") + "," + ListURL(cp.AssetsBucket, "t2", "b.txt"),
		"DstEcrRegion": "us-east-1", "DstPrefix": "mirror", "EcrScanOnPush": "true", "ReferrersRecheck": "true", "Platform": "linux/arm64"} {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	img.Image.Source.References = []string{"docker.io/library/alpine:3"}
	_, err = ImageTaskParams{ControlPlane: cp, Agent: exampleAgent(cp), TaskID: "t2", Env: TaskEnv(img)}.Parameters()
	if got := fields(t, err)["env.THUB_IMAGE_SOURCES"]; !strings.Contains(got, "image list") {
		t.Errorf("references in the environment: %q", got)
	}
}
