package stack

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"transferhub/cloud/spec"
	"transferhub/cloud/stack/cfnyaml"
	"transferhub/cloud/state"
	"transferhub/cloud/testenv"
)

// The agent's environment as the templates hand it: every THUB_* variable a template
// sets for a process is one that process's command reads (cloud/spec's contract and the
// command's flags), every variable it requires is set, and the Go side's mapping of
// task settings to parameters is the one the templates use. Finally the real agent is
// started with each process's environment (the template's values filled in as
// CloudFormation would): it gets past reading and checking its configuration and stops
// only where it reaches for AWS, here a closed port.

var (
	buildOnce sync.Once
	thubPath  string
	buildErr  error
)

// thubBinary builds the agent for this machine once per test run.
func thubBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "thub-stack-test-")
		if err != nil {
			buildErr = err
			return
		}
		thubPath = filepath.Join(dir, "thub")
		cmd := exec.Command("go", "build", "-o", thubPath, "./cloud/cmd/thub")
		cmd.Dir = testenv.RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cloud/cmd/thub: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return thubPath
}

// commandFlags asks the agent (cobra's completion) for a command's flags.
func commandFlags(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	out, err := exec.Command(thubBinary(t), append(append([]string{"__complete"}, args...), "--")...).Output()
	if err != nil {
		t.Fatalf("thub __complete %v: %v", args, err)
	}
	flags := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, ok := strings.CutPrefix(line, "--"); ok {
			name, _, _ = strings.Cut(name, "\t")
			flags[name] = true
		}
	}
	if len(flags) < 5 {
		t.Fatalf("thub __complete %v listed no flags:\n%s", args, out)
	}
	return flags
}

// process is one agent process a template starts.
type process struct {
	name     string
	kind     Kind
	command  []string
	env      map[string]any // variable -> the template's value expression
	required []string
}

func processes(t *testing.T) []process {
	docs := allTemplates(t)
	s3, img := docs[KindS3Task], docs[KindImageTask]
	worker := process{name: "worker", kind: KindS3Task, command: []string{"s3", "work"}, env: map[string]any{},
		required: []string{"THUB_TASK_ID", "THUB_QUEUE_URL", "THUB_TABLE", "THUB_SRC", "THUB_DST", "THUB_REGION"}}
	ud := userData(t, s3)
	_, rest, ok := strings.Cut(ud, "cat > /etc/thub/env <<'EOF'\n")
	if !ok {
		t.Fatal("no environment file in the worker's user data")
	}
	body, _, _ := strings.Cut(rest, "\nEOF\n")
	for _, line := range strings.Split(body, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("environment file line %q is not KEY=VALUE", line)
		}
		worker.env[k] = map[string]any{"Fn::Sub": v}
	}
	containerEnv := func(doc *cfnyaml.Template, res string) map[string]any {
		m := map[string]any{}
		for _, e := range get(props(t, doc, res), "ContainerDefinitions.0.Environment").([]any) {
			e := e.(map[string]any)
			m[e["Name"].(string)] = e["Value"]
		}
		return m
	}
	finder := process{name: "finder", kind: KindS3Task, command: []string{"s3", "find"}, env: containerEnv(s3, "FinderTaskDefinition"),
		required: []string{"THUB_TASK_ID", "THUB_QUEUE_URL", "THUB_TABLE", "THUB_SRC", "THUB_DST", "THUB_REGION"}}
	copier := process{name: "copier", kind: KindImageTask, command: []string{"image", "copy"}, env: containerEnv(img, "CopierTaskDefinition"),
		required: []string{"THUB_TASK_ID", "THUB_TABLE", "THUB_REGION", "THUB_INPUT_JSON"}}
	// The batch comes from the state machine's container override.
	copier.env["THUB_INPUT_JSON"] = "(the state machine's override)"
	lister := process{name: "lister", kind: KindImageTask, command: []string{"lambda", "image-list"}, env: get(props(t, img, "ListFunction"), "Environment.Variables").(map[string]any),
		required: []string{"THUB_TASK_ID", "THUB_TABLE", "THUB_REGION"}}
	return []process{worker, finder, copier, lister}
}

func flagOf(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "THUB_")), "_", "-")
}

// TestTemplatesHandTheAgentWhatItReads: the agent reads a variable of the spec's
// contract (spec.Variables) when the command has its flag, or when it has none (read
// from the environment by every command); a command's own flags come from THUB_<FLAG>.
func TestTemplatesHandTheAgentWhatItReads(t *testing.T) {
	for _, p := range processes(t) {
		t.Run(p.name, func(t *testing.T) {
			flags := commandFlags(t, p.command...)
			contract := map[string]spec.Variable{}
			for _, v := range spec.Variables(map[Kind]state.TaskType{KindS3Task: state.TaskS3, KindImageTask: state.TaskImage}[p.kind]) {
				contract[v.Name] = v
			}
			for name := range p.env {
				v, inSpec := contract[name]
				switch {
				case name == "AWS_REGION": // the SDK's own
				case !strings.HasPrefix(name, "THUB_"):
					t.Errorf("%s is handed to thub %v, which does not read it", name, p.command)
				case inSpec && v.Flag == "": // read from the environment only
				case inSpec && !flags[v.Flag]:
					t.Errorf("%s is handed to thub %v, which has no --%s (the agent ignores it)", name, p.command, v.Flag)
				case !inSpec && !flags[flagOf(name)]:
					t.Errorf("%s is handed to thub %v, which does not read it (no --%s, not in cloud/spec's variables)", name, p.command, flagOf(name))
				}
			}
			for _, name := range p.required {
				if _, ok := p.env[name]; !ok {
					t.Errorf("thub %v needs %s; the template does not set it", strings.Join(p.command, " "), name)
				}
			}
		})
	}
}

// TestSettingsMapOnePlace: each task setting the Go side maps to a parameter reaches
// the agent through that parameter, as the same variable, in at least one process; a
// process that has the setting's flag and gets the parameter gets it under that name.
func TestSettingsMapOnePlace(t *testing.T) {
	procs := processes(t)
	check := func(kind Kind, mapping []setting) {
		for _, s := range mapping {
			handed := 0
			for _, p := range procs {
				if p.kind != kind {
					continue
				}
				for name, expr := range p.env {
					if refersTo(expr, s.param) {
						if name != s.env {
							t.Errorf("%s: parameter %s reaches the %s as %s, but Go maps it from %s", kind, s.param, p.name, name, s.env)
						}
						handed++
					}
				}
			}
			if handed == 0 {
				t.Errorf("%s: setting %s (parameter %s) reaches no agent process", kind, s.env, s.param)
			}
		}
	}
	check(KindS3Task, s3Settings)
	check(KindImageTask, imageSettings)
	// What each process must get to do its part of the work.
	want := map[string][]string{
		"finder": {"THUB_PREFIX_LIST", "THUB_COMPARE", "THUB_DELETE", "THUB_INCLUDE", "THUB_PREFIX", "THUB_SRC_SECRET_ARN", "THUB_DST_SECRET_ARN", "THUB_SCHEDULE"},
		"worker": {"THUB_EVENTS", "THUB_GRACE", "THUB_DLQ_URL", "THUB_STORAGE_CLASS", "THUB_TAGS", "THUB_PART_SIZE", "THUB_INCLUDE", "THUB_SCHEDULE", "THUB_SRC_SECRET_ARN"},
		"lister": {"THUB_IMAGE_LIST", "THUB_IMAGE_DEST", "THUB_DST_ECR", "THUB_DST_PREFIX", "THUB_BATCH_SIZE", "THUB_TAG_INCLUDE", "THUB_SCHEDULE"},
		"copier": {"THUB_DST_ECR", "THUB_SRC_SECRET_ARN", "THUB_DST_SECRET_ARN", "THUB_ECR_SCAN_ON_PUSH", "THUB_PLATFORM", "THUB_SCHEDULE"},
	}
	for _, p := range procs {
		for _, name := range want[p.name] {
			if _, ok := p.env[name]; !ok {
				t.Errorf("the %s does not get %s", p.name, name)
			}
		}
	}
}

func refersTo(expr any, param string) bool {
	switch x := expr.(type) {
	case map[string]any:
		if x["Ref"] == param {
			return true
		}
		if s, ok := x["Fn::Sub"].(string); ok {
			return strings.Contains(s, "${"+param+"}")
		}
	}
	return false
}

// resolve fills in a value expression the way CloudFormation would for params, with
// stand-ins for the stack's own resources (the created table is used).
func resolve(t *testing.T, expr any, params map[string]string) string {
	t.Helper()
	stand := map[string]string{
		"AWS::Region": "us-east-1", "AWS::AccountId": exAccount, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
		"Queue": "https://sqs.us-east-1.amazonaws.com/" + exAccount + "/jobs", "DeadLetterQueue": "https://sqs.us-east-1.amazonaws.com/" + exAccount + "/dead",
		"Table": "task-table", "TableName": "task-table", "GroupName": "stack-workers",
	}
	lookup := func(name string) string {
		if v, ok := params[name]; ok {
			return v
		}
		if v, ok := stand[name]; ok {
			return v
		}
		t.Fatalf("nothing to fill in for %s", name)
		return ""
	}
	switch x := expr.(type) {
	case string:
		return x
	case map[string]any:
		if r, ok := x["Ref"].(string); ok {
			return lookup(r)
		}
		if s, ok := x["Fn::Sub"].(string); ok {
			return regexp.MustCompile(`\$\{([^}]+)\}`).ReplaceAllStringFunc(s, func(v string) string { return lookup(v[2 : len(v)-1]) })
		}
		if c, ok := x["Fn::If"].([]any); ok && c[0] == "CreateTable" {
			return resolve(t, c[1], params)
		}
	}
	t.Fatalf("cannot resolve %v", expr)
	return ""
}

// closedPort is a local address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestAgentStartsWithTheStacksEnvironment runs each process of the example tasks with
// the environment its template gives it.
func TestAgentStartsWithTheStacksEnvironment(t *testing.T) {
	cp := exampleOutputs()
	s3ps, err := exampleS3Task(cp).Parameters()
	s3Params := paramMap(t, s3ps, err)
	imgps, err := exampleImageTask(cp).Parameters()
	imgParams := paramMap(t, imgps, err)
	aws := "http://" + closedPort(t)
	for _, p := range processes(t) {
		t.Run(p.name, func(t *testing.T) {
			params := s3Params
			if p.kind == KindImageTask {
				params = imgParams
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
				"AWS_ENDPOINT_URL=" + aws, "AWS_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_DISABLED=true"}
			var names []string
			for name := range p.env {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				v := resolve(t, p.env[name], params)
				if name == "THUB_INPUT_JSON" {
					v = `{"taskId":"t-images","runId":"20261201T000000-abc","batch":0,"items":[]}`
				}
				if v != "" { // an empty line in the file, an empty container variable: unset
					env = append(env, name+"="+v)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, thubBinary(t), p.command...)
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("thub %v did not stop: %s", p.command, stderr.String())
			}
			if err == nil {
				t.Fatalf("thub %v succeeded without AWS", p.command)
			}
			// It read and accepted its configuration and went for AWS (the secret, the
			// list, the table): the closed port refused it.
			if !strings.Contains(stderr.String(), "connection refused") {
				t.Errorf("thub %v stopped before reaching AWS: %s", strings.Join(p.command, " "), stderr.String())
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if thubPath != "" {
		_ = os.RemoveAll(filepath.Dir(thubPath))
	}
	os.Exit(code)
}
