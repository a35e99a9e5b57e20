package stack

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/dustin/go-humanize"

	"transferhub/cloud/invalid"
)

// S3TaskParams are an S3 task stack's parameters: the task's settings (its spec's
// THUB_* environment), the control plane it runs in, the uploaded agent, and how the
// fleet and the alarms behave.
type S3TaskParams struct {
	ControlPlane ControlPlaneOutputs
	Agent        AgentAssets
	TaskID       string
	TaskName     string
	// Env is the task's agent environment (TaskEnv of its spec): THUB_SRC and THUB_DST
	// (s3://bucket[/prefix]), the sides' settings, selection, transfer and write
	// options, THUB_SCHEDULE, THUB_EVENTS ... (S3TaskSettings lists them). Far-side
	// credentials only as secret ARNs; the prefix list only as the s3:// URL of the
	// task's list in the assets bucket (assets.PutList).
	Env    map[string]string
	Fleet  Fleet
	Finder FargateSize // default 1 vCPU, 2 GiB
	// SrcKMSKeyARN: a customer-managed key the source objects are encrypted with (the
	// workers may decrypt with it). DstKMSKeyARN: the key copies are encrypted with
	// (default: THUB_SSE_KMS_KEY_ID when it is an ARN).
	SrcKMSKeyARN, DstKMSKeyARN string
	AlarmEmail                 string
	// NoProgress: alarm when work is queued and no job completed for this long (default
	// 1h, whole minutes, 5m to 24h).
	NoProgress time.Duration
	// ExistingTable adopts the table a deleted stack of this task kept.
	ExistingTable string
}

// Fleet is how the workers run and scale.
type Fleet struct {
	MaxWorkers int // default 10
	// InstanceTypes: 1 to 3 types of one architecture, the first preferred (default
	// c7g.large, c6g.large, m7g.large: Graviton).
	InstanceTypes []string
	Spot          bool
	// BacklogPerWorker: queued messages (visible and in flight) per worker the fleet
	// scales to (default 10; a message holds up to 200 objects or one part).
	BacklogPerWorker int
	// Idle: workers go to zero after the queue was empty this long (default 10m).
	Idle      time.Duration
	VolumeGiB int // default 8
	// StopTimeout: how long a stopping worker may take (default THUB_GRACE + 40s; at
	// least THUB_GRACE + 10s and 30s).
	StopTimeout time.Duration
}

// s3Settings are the THUB_* settings of an S3 task and their parameters.
var s3Settings = append(append(sideSettings("SRC", "Src"), sideSettings("DST", "Dst")...),
	setting{"THUB_COMPARE", "Compare"}, setting{"THUB_PREFIX", "Prefixes"}, setting{"THUB_PREFIX_LIST", "PrefixList"},
	setting{"THUB_INCLUDE", "Include"}, setting{"THUB_EXCLUDE", "Exclude"},
	setting{"THUB_MIN_SIZE", "MinSize"}, setting{"THUB_MAX_SIZE", "MaxSize"},
	setting{"THUB_MODIFIED_AFTER", "ModifiedAfter"}, setting{"THUB_MODIFIED_BEFORE", "ModifiedBefore"},
	setting{"THUB_DELETE", "Delete"}, setting{"THUB_DELETE_EMPTY_SOURCE", "DeleteEmptySource"}, setting{"THUB_MAX_DELETE", "MaxDelete"},
	setting{"THUB_LIST_WORKERS", "ListWorkers"}, setting{"THUB_SPLIT_FLAT_LEVELS", "SplitFlatLevels"},
	setting{"THUB_SERVER_SIDE", "ServerSide"}, setting{"THUB_CONCURRENCY", "Concurrency"}, setting{"THUB_PART_SIZE", "PartSize"},
	setting{"THUB_MULTIPART_THRESHOLD", "MultipartThreshold"}, setting{"THUB_MAX_MEMORY", "MaxMemory"},
	setting{"THUB_STALL_TIMEOUT", "StallTimeout"}, setting{"THUB_STORAGE_CLASS", "StorageClass"}, setting{"THUB_ACL", "Acl"},
	setting{"THUB_SSE", "Sse"}, setting{"THUB_SSE_KMS_KEY_ID", "SseKmsKeyId"}, setting{"THUB_TAGS", "Tags"},
	setting{"THUB_NO_TAGS", "NoTags"}, setting{"THUB_NO_SRC_ETAG", "NoSrcEtag"},
	setting{"THUB_EVENTS", "Events"},
)

// s3Special are handled by Parameters itself.
var s3Special = map[string]bool{"THUB_SRC": true, "THUB_DST": true, "THUB_SCHEDULE": true, "THUB_TASK_NAME": true, "THUB_TASK_ID": true, "THUB_GRACE": true}

var s3Refused = map[string]string{
	"THUB_FAULT_DUPLICATE_SENDS": "fault injection is for tests only",
}

// S3TaskSettings lists the THUB_* variables S3TaskParams.Env may hold.
func S3TaskSettings() []string { return settingNames(s3Settings, s3Special) }

func settingNames(m []setting, special map[string]bool) []string {
	var out []string
	for _, s := range m {
		out = append(out, s.env)
	}
	for k := range special {
		if k != "THUB_TASK_ID" {
			out = append(out, k)
		}
	}
	return sortedUnique(out)
}

var (
	gravitonRE = regexp.MustCompile(`^[a-z]+[0-9]+[a-z-]*g[a-z-]*\.[a-z0-9]+$`)
	instanceRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
)

// Amazon Linux 2023 AMIs by architecture (public SSM parameters, in every partition).
const (
	al2023Arm64 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
	al2023Amd64 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
)

// Parameters validates p and renders every parameter of the S3 task template.
func (p S3TaskParams) Parameters() ([]types.Parameter, error) {
	var l invalid.List
	m := map[string]string{}
	p.ControlPlane.taskParameters(&l, m)
	p.Agent.check(&l, false)
	m["AgentImage"], m["AgentSha256Arm64"], m["AgentSha256Amd64"] = p.Agent.Image, p.Agent.Arm64SHA256, p.Agent.Amd64SHA256
	checkTaskID(&l, p.TaskID)
	if v := p.Env["THUB_TASK_ID"]; v != "" && v != p.TaskID {
		l.Add("env.THUB_TASK_ID", "differs from the stack's task id "+p.TaskID)
	}
	m["TaskId"] = p.TaskID
	m["TaskName"] = taskName(&l, p.TaskName, p.Env)

	for k, v := range settings(&l, p.Env, s3Settings, s3Special, s3Refused) {
		m[k] = v
	}
	m["SrcBucket"], m["SrcPrefix"] = s3URL(&l, "env.THUB_SRC", p.Env["THUB_SRC"])
	m["DstBucket"], m["DstPrefix"] = s3URL(&l, "env.THUB_DST", p.Env["THUB_DST"])
	scheduleParams(&l, p.Env["THUB_SCHEDULE"], m)
	if m["Events"] == "" {
		m["Events"] = "none"
	}
	if m["Delete"] == "" {
		m["Delete"] = "false"
	}
	for _, b := range []string{"SrcAnonymous", "SrcRequesterPays", "DstAnonymous", "DstRequesterPays", "SplitFlatLevels", "Delete",
		"DeleteEmptySource", "NoTags", "NoSrcEtag"} {
		if v := m[b]; v != "" && v != "true" && v != "false" {
			l.Add("env."+envOf(s3Settings, b), "true or false")
		}
	}
	switch m["Events"] {
	case "none", "create", "create-and-delete":
	default:
		l.Add("env.THUB_EVENTS", "none, create or create-and-delete")
	}
	for _, side := range []string{"Src", "Dst"} {
		checkARN(&l, "env."+envOf(s3Settings, side+"SecretArn"), m[side+"SecretArn"], secretRE, secretExample)
		checkARN(&l, "env."+envOf(s3Settings, side+"RoleArn"), m[side+"RoleArn"], roleRE, "arn:aws:iam::<account>:role/<name>")
	}
	checkList(&l, "env.THUB_PREFIX_LIST", m["PrefixList"], p.ControlPlane.AssetsBucket, p.TaskID)

	dstKey := p.DstKMSKeyARN
	if dstKey == "" && kmsARNRE.MatchString(m["SseKmsKeyId"]) {
		dstKey = m["SseKmsKeyId"]
	}
	checkARN(&l, "srcKmsKeyArn", p.SrcKMSKeyARN, kmsARNRE, kmsExample)
	checkARN(&l, "dstKmsKeyArn", dstKey, kmsARNRE, kmsExample)
	m["SrcKmsKeyArn"], m["DstKmsKeyArn"] = p.SrcKMSKeyARN, dstKey

	grace := 20 * time.Second
	if g := p.Env["THUB_GRACE"]; g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d < time.Second || d%time.Second != 0 {
			l.Add("env.THUB_GRACE", "whole seconds, at least 1s (e.g. 20s)")
		} else {
			grace = d
		}
	}
	m["GraceSeconds"] = strconv.Itoa(int(grace / time.Second))
	p.Fleet.params(&l, grace, m)
	m["QueueVisibilitySeconds"] = strconv.Itoa(queueVisibility(&l, m["PartSize"]))
	m["FinderCpu"], m["FinderMemory"] = p.Finder.params(&l, "finder", FargateSize{CPU: 1024, MemoryMiB: 2048}, []int{256, 512, 1024, 2048, 4096, 8192, 16384})

	checkEmail(&l, p.AlarmEmail)
	m["AlarmEmail"] = p.AlarmEmail
	m["NoProgressMinutes"] = minutes(&l, "noProgress", p.NoProgress, time.Hour, 5*time.Minute, 24*time.Hour)
	m["ExistingTable"] = p.ExistingTable
	if err := l.Err("S3 task stack"); err != nil {
		return nil, err
	}
	return parameters(m), nil
}

func (f Fleet) params(l *invalid.List, grace time.Duration, m map[string]string) {
	if f.MaxWorkers == 0 {
		f.MaxWorkers = 10
	}
	if f.MaxWorkers < 1 || f.MaxWorkers > 1000 {
		l.Add("fleet.maxWorkers", "1 to 1000")
	}
	m["MaxWorkers"] = strconv.Itoa(f.MaxWorkers)
	types := f.InstanceTypes
	if len(types) == 0 {
		types = []string{"c7g.large", "c6g.large", "m7g.large"}
	}
	arm := 0
	for _, t := range types {
		if !instanceRE.MatchString(t) {
			l.Add("fleet.instanceTypes", fmt.Sprintf("%q is not an instance type", t))
		}
		if gravitonRE.MatchString(t) {
			arm++
		}
	}
	switch {
	case len(types) > 3:
		l.Add("fleet.instanceTypes", "at most 3 instance types")
	case arm != 0 && arm != len(types):
		l.Add("fleet.instanceTypes", "all of one architecture: Graviton (arm64) or x86_64, not both")
	}
	m["InstanceTypes"] = strings.Join(types, ",")
	m["WorkerImageId"] = al2023Arm64
	if arm == 0 {
		m["WorkerImageId"] = al2023Amd64
	}
	m["Spot"] = strconv.FormatBool(f.Spot)
	if f.BacklogPerWorker == 0 {
		f.BacklogPerWorker = 10
	}
	if f.BacklogPerWorker < 1 {
		l.Add("fleet.backlogPerWorker", "at least 1")
	}
	m["BacklogPerWorker"] = strconv.Itoa(f.BacklogPerWorker)
	m["IdleMinutes"] = minutes(l, "fleet.idle", f.Idle, 10*time.Minute, time.Minute, 24*time.Hour)
	if f.VolumeGiB == 0 {
		f.VolumeGiB = 8
	}
	if f.VolumeGiB < 8 || f.VolumeGiB > 1024 {
		l.Add("fleet.volumeGiB", "8 to 1024")
	}
	m["WorkerVolumeGiB"] = strconv.Itoa(f.VolumeGiB)
	if f.StopTimeout == 0 {
		f.StopTimeout = grace + 40*time.Second
	}
	// It is also the terminate lifecycle hook's wait, which takes 30s to 2h.
	if f.StopTimeout < max(grace+10*time.Second, 30*time.Second) || f.StopTimeout > 2*time.Hour || f.StopTimeout%time.Second != 0 {
		l.Add("fleet.stopTimeout", fmt.Sprintf("whole seconds from the agent's grace (%s) + 10s, and at least 30s, to 2h", grace))
	}
	m["StopTimeoutSeconds"] = strconv.Itoa(int(f.StopTimeout / time.Second))
}

// queueVisibility fits the queue's default visibility to one part at a slow 1 MiB/s
// (the agent sets its own per receive and extends it while it works; this is what any
// other consumer of the queue gets).
func queueVisibility(l *invalid.List, partSize string) int {
	size := uint64(8 << 20)
	if partSize != "" {
		n, err := humanize.ParseBytes(partSize)
		if err != nil {
			l.Add("env.THUB_PART_SIZE", "a size such as 8MiB")
			return 300
		}
		size = n
	}
	return min(max(int(size>>20)+60, 300), 43200)
}

func minutes(l *invalid.List, field string, d, def, lo, hi time.Duration) string {
	if d == 0 {
		d = def
	}
	if d < lo || d > hi || d%time.Minute != 0 {
		l.Add(field, fmt.Sprintf("whole minutes from %s to %s", lo, hi))
	}
	return strconv.Itoa(int(d / time.Minute))
}

func taskName(l *invalid.List, name string, env map[string]string) string {
	if name == "" {
		name = env["THUB_TASK_NAME"]
	}
	if msg := checkValue(name); msg != "" {
		l.Add("taskName", msg)
	}
	return name
}

func scheduleParams(l *invalid.List, expr string, m map[string]string) {
	s, err := ParseSchedule(expr)
	if err != nil {
		l.Add("env.THUB_SCHEDULE", err.Error())
	}
	if msg := checkValue(expr); msg != "" {
		l.Add("env.THUB_SCHEDULE", msg)
	}
	m["Schedule"], m["ScheduleExpression"], m["ScheduleTimeZone"] = expr, s.Expression, s.TimeZone
}

func envOf(m []setting, param string) string {
	for _, s := range m {
		if s.param == param {
			return s.env
		}
	}
	return param
}

// S3TaskOutputs is what an S3 task stack outputs.
type S3TaskOutputs struct {
	QueueURL                string `cfn:"QueueUrl"`
	QueueARN                string `cfn:"QueueArn"`
	DeadLetterQueueURL      string `cfn:"DeadLetterQueueUrl"`
	TableName               string `cfn:"TableName"`
	WorkerGroupName         string `cfn:"WorkerGroupName"`
	WorkerLaunchTemplateID  string `cfn:"WorkerLaunchTemplateId"`
	FinderTaskDefinitionARN string `cfn:"FinderTaskDefinitionArn"`
	DashboardName           string `cfn:"DashboardName"`
}

// ParseS3TaskOutputs reads an S3 task stack's outputs.
func ParseS3TaskOutputs(outs []types.Output) (S3TaskOutputs, error) {
	return parseOutputs[S3TaskOutputs](outs, "S3 task")
}
