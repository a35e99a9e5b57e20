package stack

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"transferhub/cloud/invalid"
	"transferhub/cloud/spec"
)

// A task's settings reach its stack as the agent's THUB_* environment (the task spec's
// Env(), cloud/spec; cloud/docs/cloud-run.md lists every variable): each setting a cloud
// task can have maps to one template parameter, which the template hands to the agent
// processes that read it. Variables the stack sets itself (queue, table, region, task
// id) and keys (secrets go to Secrets Manager; the stack gets the ARN) are refused.

// TaskEnv is a task spec's agent environment as S3TaskParams.Env and
// ImageTaskParams.Env take it. Give it the spec as the cloud runs it: far sides reached
// through secret ARNs (stored first) or roles, lists uploaded (assets.PutList) and named
// by their s3:// URLs.
func TaskEnv(t spec.Task) map[string]string {
	m := map[string]string{}
	for _, line := range t.Env() {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

// setting maps one THUB_* variable to the template parameter carrying it.
type setting struct{ env, param string }

// sideSettings are the per-side settings of an S3 task (THUB_SRC_* / THUB_DST_*).
func sideSettings(side, param string) []setting {
	s := []setting{}
	for _, f := range []struct{ env, param string }{
		{"ENDPOINT", "Endpoint"}, {"REGION", "Region"}, {"PROVIDER", "Provider"}, {"ADDRESSING", "Addressing"},
		{"ANONYMOUS", "Anonymous"}, {"REQUESTER_PAYS", "RequesterPays"}, {"CHECKSUMS", "Checksums"},
		{"SECRET_ARN", "SecretArn"}, {"ROLE_ARN", "RoleArn"}, {"EXTERNAL_ID", "ExternalId"},
	} {
		s = append(s, setting{"THUB_" + side + "_" + f.env, param + f.param})
	}
	return s
}

// dropped are settings a cloud process does not need: accepted and left out.
var dropped = map[string]bool{
	"THUB_NO_DOCKER_CONFIG": true, // cloud processes never read a Docker config
}

// sideRefused are per-side settings no cloud task can have.
var sideRefused = map[string]string{
	"THUB_SRC_PROFILE": "a shared-config profile exists only on this computer: a cloud task reaches a side with a secret (its keys in Secrets Manager) or a role",
	"THUB_DST_PROFILE": "a shared-config profile exists only on this computer: a cloud task reaches a side with a secret (its keys in Secrets Manager) or a role",
}

// stackSet are variables the stacks set from their own resources.
var stackSet = map[string]string{
	"THUB_TASK_ID":   "the stack's task id (TaskID)",
	"THUB_QUEUE_URL": "the stack's queue",
	"THUB_DLQ_URL":   "the stack's dead-letter queue",
	"THUB_TABLE":     "the stack's table",
	"THUB_REGION":    "the stack's Region",
}

var keyVar = regexp.MustCompile(`^THUB_(SRC|DST)_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PASSWORD|USERNAME|CREDS)$`)

// settings reads env through the mapping: every variable must be one the task type
// takes; their values must fit a stack parameter (and a systemd environment file).
// special names variables the caller handles itself.
func settings(l *invalid.List, env map[string]string, mapping []setting, special map[string]bool, refused map[string]string) map[string]string {
	byEnv := map[string]string{}
	for _, s := range mapping {
		byEnv[s.env] = s.param
	}
	out := map[string]string{}
	for _, s := range mapping {
		out[s.param] = ""
	}
	names := slices.Sorted(maps.Keys(env))
	for _, k := range names {
		v := env[k]
		field := "env." + k
		switch {
		case keyVar.MatchString(k):
			l.Add(field, "credentials never go into a stack: store them in Secrets Manager and give the secret's ARN (THUB_SRC_SECRET_ARN / THUB_DST_SECRET_ARN)")
			continue
		case refused[k] != "":
			l.Add(field, refused[k])
			continue
		case sideRefused[k] != "":
			l.Add(field, sideRefused[k])
			continue
		case dropped[k]:
			continue
		case stackSet[k] != "" && !special[k]:
			if v != "" {
				l.Add(field, "set by the stack itself ("+stackSet[k]+")")
			}
			continue
		case special[k]:
			continue
		}
		p, ok := byEnv[k]
		if !ok {
			l.Add(field, "not a setting of this kind of cloud task")
			continue
		}
		if msg := checkValue(v); msg != "" {
			l.Add(field, msg)
			continue
		}
		out[p] = v
	}
	return out
}

// checkValue: values end up in CloudFormation parameters (4 KB), in the worker's
// systemd EnvironmentFile (one line, no quoting) and in container environments.
func checkValue(v string) string {
	if len(v) > 4000 {
		return "too long for a stack parameter (4,000 bytes at most): long lists belong in the task's list file in the assets bucket"
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "control characters (such as line breaks) cannot be handed to a cloud agent; use commas between list items"
		}
	}
	if strings.ContainsAny(v, `"'\`) {
		return `quotes and backslashes cannot be handed to a cloud worker (its environment file would read them as quoting)`
	}
	if strings.TrimSpace(v) != v {
		return "leading or trailing spaces would be lost on the way to the agent"
	}
	return ""
}

// s3URL splits s3://bucket[/prefix].
func s3URL(l *invalid.List, field, v string) (bucket, prefix string) {
	rest, ok := strings.CutPrefix(v, "s3://")
	if !ok || rest == "" {
		l.Add(field, "give s3://bucket[/prefix]: a cloud task copies between buckets")
		return "", ""
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		l.Add(field, "no bucket in "+v)
	}
	if msg := checkValue(v); msg != "" {
		l.Add(field, msg)
	}
	return bucket, prefix
}

var (
	taskIDRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	secretRE   = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$`)
	roleRE     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)
	kmsARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$`)
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	imageRefRE = regexp.MustCompile(`^[^\s@]+@sha256:[0-9a-f]{64}$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

const (
	secretExample = "arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>"
	kmsExample    = "arn:aws:kms:<region>:<account>:key/<id>"
)

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func checkTaskID(l *invalid.List, id string) {
	if !taskIDRE.MatchString(id) {
		l.Add("taskId", "use 1 to 64 letters, digits, dots, dashes and underscores, starting with a letter or digit")
	}
}

// checkARN: secret, role and key ARNs are scoped into the task's policies, so they
// must be whole ARNs.
func checkARN(l *invalid.List, field, v string, re *regexp.Regexp, example string) {
	if v != "" && !re.MatchString(v) {
		l.Add(field, "give the whole ARN ("+example+")")
	}
}

// checkList: a list the agent reads must be the task's own list in the assets bucket,
// the only one its role may read.
func checkList(l *invalid.List, field, v, bucket, taskID string) {
	want := ListURL(bucket, taskID, "")
	for _, u := range strings.Split(v, ",") {
		if u != "" && (!strings.HasPrefix(u, want) || u == want) {
			l.Add(field, "upload the list to the control plane's assets bucket under "+want+"<name> (assets.PutList) and give that URL: the task's roles read only there")
			return
		}
	}
}

// checkAssets validates what the stack runs.
func (a AgentAssets) check(l *invalid.List, lambda bool) {
	if !imageRefRE.MatchString(a.Image) {
		l.Add("agent.image", "give the agent image by digest (<repository uri>@sha256:<hex>) as the asset upload returns it")
	}
	if lambda {
		if !sha256RE.MatchString(a.LambdaSHA256) {
			l.Add("agent.lambdaSha256", "give the Lambda zip's SHA-256 (hex) as the asset upload returns it")
		}
		return
	}
	if !sha256RE.MatchString(a.Arm64SHA256) {
		l.Add("agent.arm64Sha256", "give the linux/arm64 agent's SHA-256 (hex) as the asset upload returns it")
	}
	if !sha256RE.MatchString(a.Amd64SHA256) {
		l.Add("agent.amd64Sha256", "give the linux/amd64 agent's SHA-256 (hex) as the asset upload returns it")
	}
}

// AgentAssets are the uploaded agent (cloud/deploy/assets returns them).
type AgentAssets struct {
	// Image is the agent's OCI image in the control plane's repository, by digest.
	Image string
	// Arm64SHA256 and Amd64SHA256 name the linux agents in the assets bucket
	// (AssetKey): the workers fetch the one for their architecture and check it.
	Arm64SHA256 string
	Amd64SHA256 string
	// LambdaSHA256 names the Lambda zip (bootstrap = the linux/arm64 agent).
	LambdaSHA256 string
}

// FargateSize is a Fargate task's size.
type FargateSize struct {
	CPU       int // vCPU units: 256 ... 16384
	MemoryMiB int
}

// Valid says whether Fargate has this size: the memory (MiB) it accepts for each CPU
// setting. (The compute harness checks task definitions with it too.)
func (f FargateSize) Valid() bool {
	cpu, mem := f.CPU, f.MemoryMiB
	switch cpu {
	case 256:
		return mem == 512 || mem == 1024 || mem == 2048
	case 512:
		return mem >= 1024 && mem <= 4096 && mem%1024 == 0
	case 1024:
		return mem >= 2048 && mem <= 8192 && mem%1024 == 0
	case 2048:
		return mem >= 4096 && mem <= 16384 && mem%1024 == 0
	case 4096:
		return mem >= 8192 && mem <= 30720 && mem%1024 == 0
	case 8192:
		return mem >= 16384 && mem <= 61440 && mem%4096 == 0
	case 16384:
		return mem >= 32768 && mem <= 122880 && mem%8192 == 0
	}
	return false
}

func (f FargateSize) params(l *invalid.List, field string, def FargateSize, allowed []int) (string, string) {
	if f.CPU == 0 && f.MemoryMiB == 0 {
		f = def
	}
	if !oneOf(f.CPU, allowed) || !f.Valid() {
		l.Add(field, fmt.Sprintf("%d CPU units with %d MiB is not a Fargate size (CPU one of %v, memory valid for it)", f.CPU, f.MemoryMiB, allowed))
	}
	return fmt.Sprint(f.CPU), fmt.Sprint(f.MemoryMiB)
}

func checkEmail(l *invalid.List, email string) {
	if email != "" && !emailRE.MatchString(email) {
		l.Add("alarmEmail", "not an e-mail address")
	}
}
