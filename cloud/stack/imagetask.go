package stack

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"transferhub/cloud/invalid"
)

// ImageTaskParams are an image task stack's parameters: the task's settings (its spec's
// THUB_* environment), the control plane it runs in, the uploaded agent, and how runs
// and alarms behave.
type ImageTaskParams struct {
	ControlPlane ControlPlaneOutputs
	Agent        AgentAssets
	TaskID       string
	TaskName     string
	// Env is the task's agent environment (TaskEnv of its spec): the source
	// (THUB_IMAGE_LIST, the s3:// URLs of the task's image lists in the assets bucket,
	// and/or THUB_SRC_ECR), the destination (THUB_IMAGE_DEST or THUB_DST_ECR), filters
	// and copy options (ImageTaskSettings lists them). References never travel in the
	// environment (Lambda's is capped at 4 KB): the deployer writes them into an image
	// list (assets.PutList) and the spec names that list instead.
	Env map[string]string
	Run ImageRun
	// LogRetentionDays of the Lambda's and the state machine's logs (default 30).
	LogRetentionDays int
	AlarmEmail       string
	// ExistingTable adopts the table a deleted stack of this task kept.
	ExistingTable string
}

// ImageRun is how a run of an image task goes.
type ImageRun struct {
	MaxConcurrency int           // copiers at once (default 10, at most 40)
	RetryAttempts  int           // retries of a failed batch (default 2; -1: none)
	RetryInterval  time.Duration // first wait before a retry, doubling (default 1m)
	Timeout        time.Duration // a longer run is stopped (default 12h)
	Copier         FargateSize   // default 0.5 vCPU, 1 GiB
}

var imageSettings = []setting{
	{"THUB_IMAGE_LIST", "ImageList"}, {"THUB_IMAGE_DEST", "ImageDest"},
	{"THUB_SRC_ECR", "SrcEcrRegion"}, {"THUB_SRC_ACCOUNT", "SrcEcrAccount"},
	{"THUB_REPO_PREFIX", "RepoPrefix"}, {"THUB_REPO_REGEX", "RepoRegex"},
	{"THUB_DST_ECR", "DstEcrRegion"}, {"THUB_DST_ACCOUNT", "DstEcrAccount"}, {"THUB_DST_PREFIX", "DstPrefix"},
	{"THUB_ECR_SCAN_ON_PUSH", "EcrScanOnPush"}, {"THUB_ECR_IMMUTABLE_TAGS", "EcrImmutableTags"}, {"THUB_ECR_KMS_KEY", "EcrKmsKey"},
	{"THUB_TAG_INCLUDE", "TagInclude"}, {"THUB_TAG_EXCLUDE", "TagExclude"}, {"THUB_SEMVER", "Semver"}, {"THUB_LATEST", "Latest"},
	{"THUB_PLATFORM", "Platform"}, {"THUB_REFERRERS", "Referrers"}, {"THUB_REFERRERS_RECHECK", "ReferrersRecheck"}, {"THUB_CONCURRENCY", "Concurrency"},
	{"THUB_HOST_CONCURRENCY", "HostConcurrency"}, {"THUB_REQ_PER_SEC", "ReqPerSec"}, {"THUB_ATTEMPTS", "Attempts"},
	{"THUB_INSECURE_HTTP", "InsecureHttp"}, {"THUB_SRC_SECRET_ARN", "SrcSecretArn"}, {"THUB_DST_SECRET_ARN", "DstSecretArn"},
	{"THUB_BATCH_SIZE", "BatchSize"},
}

var imageSpecial = map[string]bool{"THUB_SCHEDULE": true, "THUB_TASK_NAME": true, "THUB_TASK_ID": true}

var imageRefused = map[string]string{
	"THUB_IMAGE_SOURCES":    "references live in the task's image list in the assets bucket (THUB_IMAGE_LIST), not in the environment: Lambda's is capped at 4 KB",
	"THUB_CA_FILE":          "a file on this computer does not exist in the cloud",
	"THUB_SRC_ECR_ENDPOINT": "an endpoint override is for tests; stacks use the Region's endpoints",
	"THUB_DST_ECR_ENDPOINT": "an endpoint override is for tests; stacks use the Region's endpoints",
	"THUB_SRC_ECR_HOST":     "a registry host override is for tests; stacks use the Region's ECR",
	"THUB_DST_ECR_HOST":     "a registry host override is for tests; stacks use the Region's ECR",
}

// ImageTaskSettings lists the THUB_* variables ImageTaskParams.Env may hold.
func ImageTaskSettings() []string { return settingNames(imageSettings, imageSpecial) }

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
)

// maxBatchSize: a batch travels in the copier's container override (8 KiB for all
// overrides); 25 references of usual length fit.
const maxBatchSize = 25

// Parameters validates p and renders every parameter of the image task template.
func (p ImageTaskParams) Parameters() ([]types.Parameter, error) {
	var l invalid.List
	m := map[string]string{}
	p.ControlPlane.taskParameters(&l, m)
	p.Agent.check(&l, true)
	m["AgentImage"], m["LambdaCodeSha256"] = p.Agent.Image, p.Agent.LambdaSHA256
	checkTaskID(&l, p.TaskID)
	if v := p.Env["THUB_TASK_ID"]; v != "" && v != p.TaskID {
		l.Add("env.THUB_TASK_ID", "differs from the stack's task id "+p.TaskID)
	}
	m["TaskId"] = p.TaskID
	m["TaskName"] = taskName(&l, p.TaskName, p.Env)
	for k, v := range settings(&l, p.Env, imageSettings, imageSpecial, imageRefused) {
		m[k] = v
	}
	scheduleParams(&l, p.Env["THUB_SCHEDULE"], m)

	if m["ImageList"] == "" && m["SrcEcrRegion"] == "" {
		l.Add("env.THUB_IMAGE_LIST", "no source: give the task's image list (THUB_IMAGE_LIST) or a whole source ECR (THUB_SRC_ECR)")
	}
	if (m["ImageDest"] == "") == (m["DstEcrRegion"] == "") {
		l.Add("env.THUB_IMAGE_DEST", "give one destination: a registry (THUB_IMAGE_DEST) or an ECR Region (THUB_DST_ECR)")
	}
	checkList(&l, "env.THUB_IMAGE_LIST", m["ImageList"], p.ControlPlane.AssetsBucket, p.TaskID)
	for _, r := range []string{"SrcEcrRegion", "DstEcrRegion"} {
		if v := m[r]; v != "" && !regionRE.MatchString(v) {
			l.Add("env."+envOf(imageSettings, r), "a Region such as us-east-1 or cn-north-1")
		}
	}
	for _, a := range []string{"SrcEcrAccount", "DstEcrAccount"} {
		if v := m[a]; v != "" && !accountRE.MatchString(v) {
			l.Add("env."+envOf(imageSettings, a), "a 12-digit account id")
		}
	}
	for _, s := range []string{"SrcSecretArn", "DstSecretArn"} {
		checkARN(&l, "env."+envOf(imageSettings, s), m[s], secretRE, secretExample)
	}
	if k := m["EcrKmsKey"]; k != "" && !kmsARNRE.MatchString(k) {
		l.Add("env.THUB_ECR_KMS_KEY", "give the key's whole ARN ("+kmsExample+"): the copiers' policy names it")
	}
	for _, b := range []string{"EcrScanOnPush", "EcrImmutableTags", "Referrers", "ReferrersRecheck"} {
		if v := m[b]; v != "" && v != "true" && v != "false" {
			l.Add("env."+envOf(imageSettings, b), "true or false")
		}
	}
	if v := m["BatchSize"]; v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > maxBatchSize {
			l.Add("env.THUB_BATCH_SIZE", fmt.Sprintf("1 to %d: a batch travels in the copier's container override, which holds 8 KiB", maxBatchSize))
		}
	}
	if n := lambdaEnvSize(m); n > 4096 {
		l.Add("env", fmt.Sprintf("the Lambda's environment would be %d bytes; Lambda takes 4 KB: shorten the filters", n))
	}

	r := p.Run
	if r.MaxConcurrency == 0 {
		r.MaxConcurrency = 10
	}
	if r.MaxConcurrency < 1 || r.MaxConcurrency > 40 {
		l.Add("run.maxConcurrency", "1 to 40 copiers at once")
	}
	switch {
	case r.RetryAttempts == 0:
		r.RetryAttempts = 2
	case r.RetryAttempts < 0:
		r.RetryAttempts = 0
	case r.RetryAttempts > 10:
		l.Add("run.retryAttempts", "at most 10")
	}
	if r.RetryInterval == 0 {
		r.RetryInterval = time.Minute
	}
	if r.RetryInterval < time.Second || r.RetryInterval%time.Second != 0 {
		l.Add("run.retryInterval", "whole seconds, at least 1s")
	}
	if r.Timeout == 0 {
		r.Timeout = 12 * time.Hour
	}
	if r.Timeout < 5*time.Minute || r.Timeout > 365*24*time.Hour || r.Timeout%time.Second != 0 {
		l.Add("run.timeout", "whole seconds from 5m to a year")
	}
	m["MaxConcurrency"] = strconv.Itoa(r.MaxConcurrency)
	m["RetryAttempts"] = strconv.Itoa(r.RetryAttempts)
	m["RetryIntervalSeconds"] = strconv.Itoa(int(r.RetryInterval / time.Second))
	m["RunTimeoutSeconds"] = strconv.Itoa(int(r.Timeout / time.Second))
	m["CopierCpu"], m["CopierMemory"] = r.Copier.params(&l, "run.copier", FargateSize{CPU: 512, MemoryMiB: 1024}, []int{256, 512, 1024, 2048, 4096})

	days := p.LogRetentionDays
	if days == 0 {
		days = 30
	}
	if !oneOf(days, retention) {
		l.Add("logRetentionDays", fmt.Sprintf("%d is not a CloudWatch Logs retention; use one of %v", days, retention))
	}
	m["LogRetentionDays"] = strconv.Itoa(days)
	checkEmail(&l, p.AlarmEmail)
	m["AlarmEmail"] = p.AlarmEmail
	m["ExistingTable"] = p.ExistingTable
	if err := l.Err("image task stack"); err != nil {
		return nil, err
	}
	return parameters(m), nil
}

// lambdaEnvSize estimates the list function's environment (names and values; the
// stack's own values are short).
func lambdaEnvSize(m map[string]string) int {
	n := 200 // THUB_REGION, THUB_TABLE, THUB_TASK_ID
	for _, s := range imageSettings {
		n += len(s.env) + len(m[s.param])
	}
	return n + len(m["TaskName"]) + len(m["Schedule"])
}

// ImageTaskOutputs is what an image task stack outputs.
type ImageTaskOutputs struct {
	StateMachineARN         string `cfn:"StateMachineArn"`
	TableName               string `cfn:"TableName"`
	ListFunctionName        string `cfn:"ListFunctionName"`
	CopierTaskDefinitionARN string `cfn:"CopierTaskDefinitionArn"`
}

// ParseImageTaskOutputs reads an image task stack's outputs.
func ParseImageTaskOutputs(outs []types.Output) (ImageTaskOutputs, error) {
	return parseOutputs[ImageTaskOutputs](outs, "image task")
}
