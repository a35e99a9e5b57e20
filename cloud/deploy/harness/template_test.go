package harness

import (
	"math"
	"slices"
	"strings"
	"testing"

	"transferhub/cloud/stack"
	"transferhub/cloud/stack/cfnyaml"
)

// Unit tests of what the harness reads from a deployed template, on the templates the
// stacks deploy (package stack), with made-up parameter values and physical ids: the
// user-data contract and its faults, the scaling alarms and policies, metric math.

func fakeS3Task(t *testing.T) *deployed {
	t.Helper()
	tpl, err := cfnyaml.Parse([]byte(stack.S3Task().Body))
	if err != nil {
		t.Fatal(err)
	}
	d := &deployed{name: "cp-task-t1", id: "stack-id", tpl: tpl, region: "us-east-1", account: "123456789012", partition: "aws",
		params: map[string]string{}, physical: map[string]string{}}
	for k, p := range tpl.Parameters {
		if def, ok := p["Default"]; ok {
			d.params[k] = strings.TrimSpace(strings.Trim(jsonString(def), `"`))
		}
	}
	for k, v := range map[string]string{"TaskId": "t1", "AssetsBucket": "assets", "AgentLogGroup": "agents", "KeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
		"SrcBucket": "src", "DstBucket": "dst", "AgentSha256Arm64": strings.Repeat("a", 64), "AgentSha256Amd64": strings.Repeat("b", 64),
		"BacklogPerWorker": "10", "IdleMinutes": "3", "StopTimeoutSeconds": "70", "ClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c"} {
		d.params[k] = v
	}
	for k, v := range map[string]string{"Queue": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "DeadLetterQueue": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
		"Table": "table-1", "WorkerGroup": "group-1", "WorkerRole": "worker-role", "WorkerInstanceProfile": "profile", "FinderRole": "finder-role",
		"ExecutionRole": "exec-role", "FinderTaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/cp-task-t1-finder:1"} {
		d.physical[k] = v
	}
	return d
}

func renderedUserData(t *testing.T, d *deployed) string {
	t.Helper()
	v, err := d.prop("WorkerLaunchTemplate", "LaunchTemplateData", "UserData")
	if err != nil {
		t.Fatal(err)
	}
	return v.(string)
}

func TestUserDataContract(t *testing.T) {
	d := fakeS3Task(t)
	script := renderedUserData(t, d)
	ud, err := parseUserData(script)
	if err != nil {
		t.Fatal(err)
	}
	env := envMap(ud.env)
	for k, want := range map[string]string{"THUB_TASK_ID": "t1", "THUB_QUEUE_URL": d.physical["Queue"], "THUB_DLQ_URL": d.physical["DeadLetterQueue"],
		"THUB_TABLE": "table-1", "THUB_SRC": "s3://src/", "THUB_EVENTS": "none", "AWS_REGION": "us-east-1"} {
		if env[k] != want {
			t.Errorf("environment file %s = %q, want %q", k, env[k], want)
		}
	}
	if strings.Join(ud.execStart, " ") != "/usr/local/bin/thub s3 work" || ud.stopTimeout.Seconds() != 70 {
		t.Errorf("unit: ExecStart %v, stop timeout %s", ud.execStart, ud.stopTimeout)
	}
	if ud.agentSums["aarch64"] != strings.Repeat("a", 64) || ud.agentSums["x86_64"] != strings.Repeat("b", 64) || ud.agentBucket != "assets" || ud.agentKey != "sha256/$sum" {
		t.Errorf("agent: %v s3://%s/%s", ud.agentSums, ud.agentBucket, ud.agentKey)
	}
	if ud.logGroup != "agents" || ud.logStream != "t1/worker/{instance_id}" {
		t.Errorf("logs: %s %s", ud.logGroup, ud.logStream)
	}

	// A wrong template is refused with what is wrong.
	for name, c := range map[string]struct{ from, to, want string }{
		"bad path":             {"ExecStart=/usr/local/bin/thub s3 work", "ExecStart=/usr/bin/thub s3 work", "runs /usr/bin/thub, but the agent is installed as /usr/local/bin/thub"},
		"no environment file":  {"cat > /etc/thub/env <<'EOF'", "cat > /etc/thub/environment <<'EOF'", "EnvironmentFile /etc/thub/env, which the user data does not write"},
		"no unit":              {"thub-worker.service <<'EOF'", "thub-work.service <<'EOF'", "no systemd unit"},
		"no agent":             {"aarch64) sum=", "aarch64) summ=", ""},
		"agent fetched wrong":  {`"s3://assets/sha256/$sum" /tmp/thub`, `"s3://assets/sha256/$sum" /tmp/thub2`, "fetches the agent to /tmp/thub2 but installs /tmp/thub"},
		"log not shipped":      {`"file_path": "/var/log/thub/worker.log"`, `"file_path": "/var/log/thub/other.log"`, "ships the worker's output"},
		"env line without =":   {"THUB_TASK_ID=t1\n", "THUB_TASK_ID t1\n", "a line without ="},
		"stop timeout garbage": {"TimeoutStopSec=70", "TimeoutStopSec=70s", "not whole seconds"},
	} {
		if !strings.Contains(script, c.from) {
			t.Fatalf("%s: the user data has no %q", name, c.from)
		}
		_, err := parseUserData(strings.Replace(script, c.from, c.to, 1))
		if name == "no agent" {
			// One architecture left: the contract still parses; a machine of the other
			// architecture finds no agent (startWorker says so).
			u, err := parseUserData(strings.Replace(script, c.from, c.to, 1))
			if err != nil || u.agentSums["aarch64"] != "" {
				t.Errorf("%s: %v %v", name, err, u)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

func TestScalingFromTheTemplate(t *testing.T) {
	d := fakeS3Task(t)
	alarms, err := scalingAlarms(d)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*alarm{}
	for _, a := range alarms {
		by[a.name] = a
	}
	if len(by) != 3 || by["WakeAlarm"] == nil || by["ScaleOutAlarm"] == nil || by["ScaleInAlarm"] == nil {
		t.Fatalf("scaling alarms %v", by)
	}
	if by["ScaleInAlarm"].periods != 3 {
		t.Errorf("the scale-in alarm waits %d periods, want IdleMinutes 3", by["ScaleInAlarm"].periods)
	}
	vis := `AWS/SQS/ApproximateNumberOfMessagesVisible/[{"Name":"QueueName","Value":"q"}]`
	inf := `AWS/SQS/ApproximateNumberOfMessagesNotVisible/[{"Name":"QueueName","Value":"q"}]`
	wrk := `AWS/AutoScaling/GroupInServiceInstances/[{"Name":"AutoScalingGroupName","Value":"group-1"}]`
	step := func(name string, visible, inflight, workers float64) (float64, int) {
		t.Helper()
		a := by[name]
		v, err := a.evaluate(map[string]float64{vis: visible, inf: inflight, wrk: workers})
		if err != nil {
			t.Fatal(err)
		}
		if !compareAlarm(a.comparison, v, a.threshold) {
			return v, int(workers)
		}
		below := strings.HasPrefix(a.comparison, "LessThan")
		n, err := a.policy.apply(int(workers), v-a.threshold, below)
		if err != nil {
			t.Fatal(err)
		}
		return v, n
	}
	for _, c := range []struct {
		alarm                      string
		visible, inflight, workers float64
		value                      float64
		to                         int
	}{
		{"WakeAlarm", 3, 0, 0, 1, 1},        // work and no worker: exactly one
		{"WakeAlarm", 3, 0, 2, 0, 2},        // workers run: not this alarm's business
		{"ScaleOutAlarm", 15, 0, 1, 1.5, 2}, // load 1.5: +50 % (at least 1)
		{"ScaleOutAlarm", 25, 5, 1, 3, 2},   // load 3: +100 %... of 1
		{"ScaleOutAlarm", 40, 0, 2, 2, 4},   // load 2: +100 %
		{"ScaleOutAlarm", 80, 0, 2, 4, 8},   // load 4: +300 %
		{"ScaleOutAlarm", 90, 0, 1, 9, 8},   // load 9: +700 %
		{"ScaleOutAlarm", 5, 0, 1, 0.5, 1},  // load 0.5: not breaching
		{"ScaleInAlarm", 0, 0, 3, -1, 0},    // nothing queued: to zero
		{"ScaleInAlarm", 1, 0, 6, 1.0 / 60, 3},
		{"ScaleInAlarm", 30, 0, 2, 1.5, 2}, // busy: no scale-in
		{"ScaleInAlarm", 0, 1, 1, 1, 1},    // the last worker holds a long job: it stays
		{"ScaleInAlarm", 1, 0, 2, 0.05, 1}, // two workers, little queued: halved, not to zero
	} {
		v, to := step(c.alarm, c.visible, c.inflight, c.workers)
		if math.Abs(v-c.value) > 1e-9 || to != c.to {
			t.Errorf("%s with %v visible, %v in flight, %v workers: value %v, to %d; want %v, %d", c.alarm, c.visible, c.inflight, c.workers, v, to, c.value, c.to)
		}
	}
}

func TestMetricMath(t *testing.T) {
	vars := map[string]float64{"a": 2, "b": 0, "m": math.NaN()}
	for expr, want := range map[string]float64{
		"a + b * 3":                             2,
		"(a + 1) / 3":                           1,
		"IF(a > 1 AND b == 0, 10, 20)":          10,
		"IF(a > 1 AND NOT b == 0, 10, 20)":      20,
		"IF(a < 1 OR b >= 0, -1, 1)":            -1,
		"FILL(m, 7) + FILL(a, 7)":               9,
		"IF(m > 0, 1, 0)":                       0,
		"MAX(a, 5, b) - MIN(a, 5, b) + ABS(-a)": 7,
		"-a + 2":                                0,
	} {
		e, err := parseMath(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		got, err := e.eval(vars)
		if err != nil || got != want {
			t.Errorf("%s = %v (%v), want %v", expr, got, err, want)
		}
	}
	for _, bad := range []string{"a +", "IF(a, 1", "a $ b", "NOPE(a)"} {
		e, err := parseMath(bad)
		if err == nil {
			_, err = e.eval(vars)
		}
		if err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

// The state machines the harness plays: the stack's own, plus another the outputs name
// (the emulator may create a template's state machine twice; the app starts runs on the
// one in the outputs), each once.
func TestStateMachinesWatchedFromResourcesAndOutputs(t *testing.T) {
	tpl, err := cfnyaml.Parse([]byte(stack.ImageTask().Body))
	if err != nil {
		t.Fatal(err)
	}
	arn := func(n string) string { return "arn:aws:states:us-east-1:123456789012:stateMachine:" + n }
	d := &deployed{name: "cp-task-i1", tpl: tpl, params: map[string]string{}, physical: map[string]string{"StateMachine": arn("a")},
		outputs: map[string]string{"StateMachineArn": arn("a"), "TableName": "t"}}
	if got, want := d.stateMachines(), []watchedMachine{{"StateMachine", arn("a")}}; !slices.Equal(got, want) {
		t.Fatalf("one machine: got %v, want %v", got, want)
	}
	d.outputs["StateMachineArn"] = arn("b")
	if got, want := d.stateMachines(), []watchedMachine{{"StateMachine", arn("a")}, {"StateMachine", arn("b")}}; !slices.Equal(got, want) {
		t.Fatalf("outputs naming another: got %v, want %v", got, want)
	}
}

// The launch template version a group launches is the one the deployed template names
// (the emulator's group keeps the number it resolved at creation through updates).
func TestLaunchVersionTheTemplateNames(t *testing.T) {
	d := fakeS3Task(t)
	d.tpl.Parameters["Pinned"] = map[string]any{"Type": "String"}
	d.params["Pinned"] = "4"
	v, err := d.launchVersion("WorkerGroup", "WorkerLaunchTemplate")
	if err != nil || v != "$Latest" {
		t.Fatalf("the S3 task's group launches %q (%v), want $Latest (its !GetAtt LatestVersionNumber)", v, err)
	}
	spec := asMap(asMap(asMap(d.tpl.Resources["WorkerGroup"].Properties["MixedInstancesPolicy"])["LaunchTemplate"])["LaunchTemplateSpecification"])
	for _, c := range []struct {
		version any // nil: none given
		want    string
		err     string
	}{
		{map[string]any{"Fn::GetAtt": "WorkerLaunchTemplate.LatestVersionNumber"}, "$Latest", ""},
		{map[string]any{"Fn::GetAtt": []any{"WorkerLaunchTemplate", "DefaultVersionNumber"}}, "$Default", ""},
		{nil, "$Default", ""},
		{"2", "2", ""},
		{"$Latest", "$Latest", ""},
		{map[string]any{"Ref": "Pinned"}, "4", ""},
		{map[string]any{"Fn::GetAtt": []any{"OtherTemplate", "LatestVersionNumber"}}, "", `launches launch template "WorkerLaunchTemplate" but takes the version of OtherTemplate`},
		{map[string]any{"Fn::GetAtt": []any{"WorkerLaunchTemplate"}}, "", "Version: Fn::GetAtt"},
	} {
		if c.version == nil {
			delete(spec, "Version")
		} else {
			spec["Version"] = c.version
		}
		v, err := d.launchVersion("WorkerGroup", "WorkerLaunchTemplate")
		switch {
		case c.err == "" && (err != nil || v != c.want):
			t.Errorf("Version %v: %q (%v), want %q", c.version, v, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Version %v: %q (%v), want an error saying %q", c.version, v, err, c.err)
		}
	}
	delete(d.tpl.Resources["WorkerGroup"].Properties, "MixedInstancesPolicy")
	if _, err := d.launchVersion("WorkerGroup", "WorkerLaunchTemplate"); err == nil || !strings.Contains(err.Error(), "names no launch template") {
		t.Errorf("a group without a launch template: %v", err)
	}
}

// The finder's container as the template defines it, with the stack's current values
// (what the harness runs when the emulator's re-registered task definition lost it).
func TestContainerFromTheTemplate(t *testing.T) {
	d := fakeS3Task(t)
	d.params["AgentImage"] = "registry.example/thub@sha256:" + strings.Repeat("c", 64)
	d.params["DstBucket"], d.params["DstPrefix"] = "new-dst", "moved/"
	c, err := d.container("FinderTaskDefinition")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range c.Environment {
		env[*kv.Name] = *kv.Value
	}
	if *c.Name != "finder" || *c.Image != d.params["AgentImage"] || strings.Join(c.EntryPoint, " ") != "/thub" || strings.Join(c.Command, " ") != "s3 find" {
		t.Errorf("container %s image %s entry point %v command %v", *c.Name, *c.Image, c.EntryPoint, c.Command)
	}
	if env["THUB_DST"] != "s3://new-dst/moved/" || env["THUB_TASK_ID"] != "t1" {
		t.Errorf("environment THUB_DST=%q THUB_TASK_ID=%q", env["THUB_DST"], env["THUB_TASK_ID"])
	}
	if c.LogConfiguration == nil || c.LogConfiguration.LogDriver != "awslogs" || c.LogConfiguration.Options["awslogs-group"] != "agents" ||
		c.LogConfiguration.Options["awslogs-stream-prefix"] != "t1" {
		t.Errorf("log configuration %+v", c.LogConfiguration)
	}

	// A template whose container lacks its image is not papered over.
	ctr := asMap(d.tpl.Resources["FinderTaskDefinition"].Properties["ContainerDefinitions"].([]any)[0])
	delete(ctr, "Image")
	if _, err := d.container("FinderTaskDefinition"); err == nil || !strings.Contains(err.Error(), "its container has no image") {
		t.Errorf("a container without an image: %v", err)
	}
}
