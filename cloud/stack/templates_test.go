package stack

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"transferhub/cloud/stack/cfnyaml"
	"transferhub/cloud/stack/internal/tabledef"
)

// Template unit tests: what the AWS emulator drops or cannot run (encryption, PITR,
// public access block, IMDSv2, scan on push, scaling policies, alarms, log retention,
// policy scoping) and the rules that keep the templates deployable in every partition
// and in the emulator (cloud/docs/deploy.md, "How the templates are written").

func allTemplates(t *testing.T) map[Kind]*cfnyaml.Template {
	out := map[Kind]*cfnyaml.Template{}
	for _, tpl := range Templates() {
		out[tpl.Kind] = parse(t, tpl)
	}
	return out
}

// walk calls fn for every value in the document with its path.
func walk(v any, path string, fn func(path string, v any)) {
	fn(path, v)
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			walk(c, path+"."+k, fn)
		}
	case []any:
		for i, c := range x {
			walk(c, fmt.Sprintf("%s.%d", path, i), fn)
		}
	}
}

func TestTemplatesFollowTheRules(t *testing.T) {
	for _, tpl := range Templates() {
		t.Run(string(tpl.Kind), func(t *testing.T) {
			// The control plane goes as TemplateBody (its bucket does not exist yet); task
			// stacks go by TemplateURL from the assets bucket (1 MB).
			if limit := map[Kind]int{KindControlPlane: 51200}[tpl.Kind]; limit > 0 && len(tpl.Body) > limit {
				t.Errorf("template is %d bytes; CreateStack's TemplateBody takes %d", len(tpl.Body), limit)
			}
			if len(tpl.Body) > 1<<20 {
				t.Errorf("template is %d bytes; a TemplateURL takes 1 MB", len(tpl.Body))
			}
			doc := parse(t, tpl)
			if _, ok := doc.Raw["Transform"]; ok {
				t.Error("no transforms (the emulator does not run them)")
			}
			for name, o := range doc.Outputs {
				if _, ok := o["Export"]; ok {
					t.Errorf("output %s is exported: exports lock the stack against updates; the deployer passes outputs as parameters", name)
				}
			}
			for name, r := range doc.Resources {
				switch {
				case r.Type == "AWS::CloudFormation::Stack":
					t.Errorf("%s: no nested stacks", name)
				case r.Type == "AWS::CloudFormation::CustomResource" || strings.HasPrefix(r.Type, "Custom::"):
					t.Errorf("%s: no custom resources", name)
				case r.Type == "AWS::IAM::Role":
					if _, ok := r.Properties["Policies"]; ok {
						t.Errorf("%s: inline Policies (the emulator stores them as text): use AWS::IAM::Policy", name)
					}
					if _, ok := r.Properties["ManagedPolicyArns"]; ok {
						t.Errorf("%s: managed policies are not scoped to the stack: use AWS::IAM::Policy", name)
					}
				case r.Type == "AWS::KMS::Key":
					if _, ok := r.Properties["KeyPolicy"].(map[string]any)["Fn::Sub"].(string); !ok {
						t.Errorf("%s: KeyPolicy must be a !Sub JSON string (an object breaks the emulator's DescribeKey)", name)
					}
				case r.Type == "AWS::StepFunctions::StateMachine":
					if _, ok := r.Properties["DefinitionString"]; !ok {
						t.Errorf("%s: use DefinitionString with !Sub (Definition objects come out empty in the emulator)", name)
					}
				}
			}
			walk(doc.Raw, "", func(path string, v any) {
				switch x := v.(type) {
				case string:
					if strings.Contains(x, "arn:aws:") {
						t.Errorf("%s: literal partition in %q: use arn:${AWS::Partition}:", path, x)
					}
					if strings.Contains(servicePrincipals.ReplaceAllString(x, ""), ".amazonaws.com") && !principalPath.MatchString(path) {
						t.Errorf("%s: literal AWS host in %q: use ${AWS::URLSuffix}", path, x)
					}
				case []any:
					for _, e := range x {
						if m, ok := e.(map[string]any); ok {
							if ifv, ok := m["Fn::If"].([]any); ok && len(ifv) == 3 {
								for _, branch := range ifv[1:] {
									if ref, ok := branch.(map[string]any); ok && ref["Ref"] == "AWS::NoValue" {
										t.Errorf("%s: AWS::NoValue inside a list becomes null in the emulator: use a whole-list !If or a resource Condition", path)
									}
								}
							}
						}
					}
				case map[string]any:
					if _, ok := x["Fn::ImportValue"]; ok {
						t.Errorf("%s: no ImportValue", path)
					}
				}
			})
		})
	}
}

// Service principals are names, not hosts: they stay service.amazonaws.com in every
// partition except where AWS documents otherwise (EC2 and CloudWatch Logs in China are
// spelled with ${AWS::URLSuffix}).
var (
	principalPath     = regexp.MustCompile(`(Principal\.Service(\.\d+)?|iam:PassedToService)$`)
	servicePrincipals = regexp.MustCompile(`"Service": (\[[^\]]*\]|"[^"]*")`)
)

func TestOutputsMatchTheTypes(t *testing.T) {
	for _, tpl := range Templates() {
		doc := parse(t, tpl)
		var got []string
		for name := range doc.Outputs {
			got = append(got, name)
		}
		sort.Strings(got)
		want := append([]string(nil), tpl.Outputs...)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: template outputs %v, Go type %v", tpl.Kind, got, want)
		}
	}
}

// TestParametersCoverTheTemplates: Parameters() sets every parameter of its template
// (nothing is left to a template default the Go side does not know) and nothing else,
// with values the template accepts.
func TestParametersCoverTheTemplates(t *testing.T) {
	cp := exampleOutputs()
	cpParams, err := exampleControlPlane().Parameters()
	s3Params, err2 := exampleS3Task(cp).Parameters()
	imgParams, err3 := exampleImageTask(cp).Parameters()
	for kind, m := range map[Kind]map[string]string{
		KindControlPlane: paramMap(t, cpParams, err),
		KindS3Task:       paramMap(t, s3Params, err2),
		KindImageTask:    paramMap(t, imgParams, err3),
	} {
		var tpl Template
		for _, x := range Templates() {
			if x.Kind == kind {
				tpl = x
			}
		}
		doc := parse(t, tpl)
		for name, p := range doc.Parameters {
			v, ok := m[name]
			if !ok {
				t.Errorf("%s: parameter %s is not set by Parameters()", kind, name)
				continue
			}
			checkAllowed(t, kind, name, p, v)
		}
		for name := range m {
			if _, ok := doc.Parameters[name]; !ok {
				t.Errorf("%s: Parameters() sets %s, which the template does not have", kind, name)
			}
		}
	}
}

func checkAllowed(t *testing.T, kind Kind, name string, p map[string]any, v string) {
	t.Helper()
	if av, ok := p["AllowedValues"].([]any); ok {
		found := false
		for _, a := range av {
			if fmt.Sprint(a) == v {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: %s=%q is not one of %v", kind, name, v, av)
		}
	}
	if pat, ok := p["AllowedPattern"].(string); ok && !regexp.MustCompile(pat).MatchString(v) {
		t.Errorf("%s: %s=%q does not match %s", kind, name, v, pat)
	}
	if p["Type"] == "Number" {
		var n float64
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Errorf("%s: %s=%q is not a number", kind, name, v)
		}
		if lo, ok := p["MinValue"].(int); ok && n < float64(lo) {
			t.Errorf("%s: %s=%v below %d", kind, name, n, lo)
		}
		if hi, ok := p["MaxValue"].(int); ok && n > float64(hi) {
			t.Errorf("%s: %s=%v above %d", kind, name, n, hi)
		}
	}
}

// TestEncryptionEverywhere: every store is encrypted with the control plane's key.
func TestEncryptionEverywhere(t *testing.T) {
	docs := allTemplates(t)
	cp := docs[KindControlPlane]
	enc := get(props(t, cp, "AssetsBucket"), "BucketEncryption.ServerSideEncryptionConfiguration.0")
	if get(enc, "ServerSideEncryptionByDefault.SSEAlgorithm") != "aws:kms" || fmt.Sprint(get(enc, "ServerSideEncryptionByDefault.KMSMasterKeyID")) != fmt.Sprint(map[string]any{"Fn::GetAtt": []any{"Key", "Arn"}}) {
		t.Errorf("assets bucket: not SSE-KMS with the control plane's key: %v", enc)
	}
	if get(props(t, cp, "AgentRepository"), "EncryptionConfiguration.EncryptionType") != "KMS" {
		t.Error("agent repository: not KMS-encrypted")
	}
	if props(t, cp, "AlertTopic")["KmsMasterKeyId"] == nil {
		t.Error("alert topic: not encrypted")
	}
	if cp.Resources["Key"].Properties["EnableKeyRotation"] != true {
		t.Error("key rotation off")
	}
	for kind, doc := range docs {
		for _, name := range doc.OfType("AWS::DynamoDB::Table") {
			p := props(t, doc, name)
			if get(p, "SSESpecification.SSEEnabled") != true || get(p, "SSESpecification.SSEType") != "KMS" || get(p, "SSESpecification.KMSMasterKeyId") == nil {
				t.Errorf("%s/%s: table not encrypted with the control plane's key", kind, name)
			}
			if get(p, "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled") != true {
				t.Errorf("%s/%s: no point-in-time recovery", kind, name)
			}
			if p["BillingMode"] != "PAY_PER_REQUEST" {
				t.Errorf("%s/%s: not on-demand", kind, name)
			}
			if doc.Resources[name].Raw["DeletionPolicy"] != "Retain" {
				t.Errorf("%s/%s: a table is kept when its stack is deleted (the deployer deletes it unless the user keeps the data)", kind, name)
			}
		}
		for _, name := range doc.OfType("AWS::SQS::Queue") {
			p := props(t, doc, name)
			if p["KmsMasterKeyId"] == nil {
				t.Errorf("%s/%s: queue not encrypted", kind, name)
			}
			if p["MessageRetentionPeriod"] != 1209600 || p["MaximumMessageSize"] != 262144 {
				t.Errorf("%s/%s: retention %v (want 14 days), max size %v (want 256 KiB)", kind, name, p["MessageRetentionPeriod"], p["MaximumMessageSize"])
			}
		}
		for _, name := range doc.OfType("AWS::Logs::LogGroup") {
			p := props(t, doc, name)
			if p["RetentionInDays"] == nil {
				t.Errorf("%s/%s: log group without retention", kind, name)
			}
			if p["KmsKeyId"] == nil {
				t.Errorf("%s/%s: log group not encrypted", kind, name)
			}
		}
		for _, name := range doc.OfType("AWS::Lambda::Function") {
			if props(t, doc, name)["KmsKeyArn"] == nil {
				t.Errorf("%s/%s: the function's environment is not encrypted with the control plane's key", kind, name)
			}
		}
	}
	redrive := props(t, docs[KindS3Task], "Queue")["RedrivePolicy"].(map[string]any)
	if redrive["maxReceiveCount"] != 5 || fmt.Sprint(redrive["deadLetterTargetArn"]) != fmt.Sprint(map[string]any{"Fn::GetAtt": []any{"DeadLetterQueue", "Arn"}}) {
		t.Errorf("queue redrive: %v", redrive)
	}
}

func TestAssetsBucketIsPrivate(t *testing.T) {
	cp := allTemplates(t)[KindControlPlane]
	pab := props(t, cp, "AssetsBucket")["PublicAccessBlockConfiguration"].(map[string]any)
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if pab[k] != true {
			t.Errorf("public access block: %s is %v", k, pab[k])
		}
	}
	st := get(props(t, cp, "AssetsBucketPolicy"), "PolicyDocument.Statement.0").(map[string]any)
	if st["Effect"] != "Deny" || get(st, "Condition.Bool.aws:SecureTransport") != "false" {
		t.Errorf("the bucket policy does not deny plain HTTP: %v", st)
	}
	rules := get(props(t, cp, "AssetsBucket"), "LifecycleConfiguration.Rules").([]any)
	if get(rules[0], "TagFilters.0.Key") != SupersededTag || get(rules[0], "ExpirationInDays") == nil {
		t.Errorf("no lifecycle for superseded assets: %v", rules[0])
	}
	repo := props(t, cp, "AgentRepository")
	if repo["ImageTagMutability"] != "IMMUTABLE" || get(repo, "ImageScanningConfiguration.ScanOnPush") != true {
		t.Errorf("agent repository: mutability %v, scan on push %v", repo["ImageTagMutability"], get(repo, "ImageScanningConfiguration.ScanOnPush"))
	}
}

func TestWorkerLaunchTemplate(t *testing.T) {
	doc := allTemplates(t)[KindS3Task]
	d := props(t, doc, "WorkerLaunchTemplate")["LaunchTemplateData"].(map[string]any)
	if get(d, "MetadataOptions.HttpTokens") != "required" {
		t.Error("IMDSv2 is not required")
	}
	if get(d, "BlockDeviceMappings.0.Ebs.Encrypted") != true {
		t.Error("the volume is not encrypted")
	}
	if p := doc.Parameters["WorkerImageId"]; p["Type"] != "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" || !strings.Contains(fmt.Sprint(p["Default"]), "al2023-ami-kernel-default-arm64") {
		t.Errorf("the AMI is not Graviton AL2023 from the public SSM parameter: %v", p)
	}
	ud := userData(t, doc)
	for _, want := range []string{
		"cat > /etc/thub/env <<'EOF'",
		`aws s3 cp --only-show-errors --region ${AWS::Region} "s3://${AssetsBucket}/sha256/$sum"`,
		`sha256sum --check`,
		"aarch64) sum=${AgentSha256Arm64}",
		"x86_64) sum=${AgentSha256Amd64}",
		"EnvironmentFile=/etc/thub/env",
		"ExecStart=/usr/local/bin/thub s3 work",
		"Restart=on-failure",
		"KillSignal=SIGTERM",
		"TimeoutStopSec=${StopTimeoutSeconds}",
		"StandardError=append:/var/log/thub/worker.log",
		`"log_group_name": "${AgentLogGroup}"`,
		`"log_stream_name": "${TaskId}/worker/{instance_id}"`,
		"systemctl enable --now thub-lifecycle.service thub-worker.service",
		"target-lifecycle-state",
	} {
		if !strings.Contains(ud, want) {
			t.Errorf("the user data lacks %q", want)
		}
	}
}

func userData(t *testing.T, doc *cfnyaml.Template) string {
	t.Helper()
	sub := get(props(t, doc, "WorkerLaunchTemplate"), "LaunchTemplateData.UserData.Fn::Base64.Fn::Sub.0")
	s, ok := sub.(string)
	if !ok {
		t.Fatal("the user data is not Fn::Base64 of a !Sub with variables")
	}
	return s
}

func TestScaling(t *testing.T) {
	doc := allTemplates(t)[KindS3Task]
	g := props(t, doc, "WorkerGroup")
	if g["MinSize"] != "0" || fmt.Sprint(g["MaxSize"]) != fmt.Sprint(map[string]any{"Ref": "MaxWorkers"}) {
		t.Errorf("group size %v..%v: want 0..MaxWorkers", g["MinSize"], g["MaxSize"])
	}
	if _, ok := g["DesiredCapacity"]; ok {
		t.Error("DesiredCapacity in the template would reset the fleet on every update")
	}
	if get(g, "MixedInstancesPolicy.InstancesDistribution.OnDemandPercentageAboveBaseCapacity") == nil {
		t.Error("no Spot option")
	}
	hook := get(g, "LifecycleHookSpecificationList.0").(map[string]any)
	if hook["LifecycleTransition"] != "autoscaling:EC2_INSTANCE_TERMINATING" || fmt.Sprint(hook["HeartbeatTimeout"]) != fmt.Sprint(map[string]any{"Ref": "StopTimeoutSeconds"}) {
		t.Errorf("terminate hook: %v", hook)
	}
	if !strings.Contains(fmt.Sprint(g["MetricsCollection"]), "GroupInServiceInstances") {
		t.Error("the group's GroupInServiceInstances metric (the scaling alarms' worker count) is not collected")
	}
	// Each policy steps the group and is the action of one alarm on the queue.
	policies := map[string]struct {
		adjustment string
		alarm      string
		expr       string
	}{
		"WakePolicy":     {"ExactCapacity", "WakeAlarm", "IF((visible + inflight) > 0 AND workers == 0, 1, 0)"},
		"ScaleOutPolicy": {"PercentChangeInCapacity", "ScaleOutAlarm", "(visible + inflight) / (${BacklogPerWorker} * workers)"},
		"ScaleInPolicy":  {"PercentChangeInCapacity", "ScaleInAlarm", "IF(backlog == 0, -1, IF(workers > 1, backlog / (${BacklogPerWorker} * workers), 1))"},
	}
	for name, want := range policies {
		p := props(t, doc, name)
		if p["PolicyType"] != "StepScaling" || p["AdjustmentType"] != want.adjustment || fmt.Sprint(p["AutoScalingGroupName"]) != fmt.Sprint(map[string]any{"Ref": "WorkerGroup"}) {
			t.Errorf("%s: %v", name, p)
		}
		a := props(t, doc, want.alarm)
		if fmt.Sprint(a["AlarmActions"]) != fmt.Sprint([]any{map[string]any{"Ref": name}}) {
			t.Errorf("%s does not trigger %s: %v", want.alarm, name, a["AlarmActions"])
		}
		if !strings.Contains(cfnyaml.JSON(a["Metrics"]), strings.ReplaceAll(want.expr, `"`, `\"`)) {
			t.Errorf("%s: metric is not %q: %s", want.alarm, want.expr, cfnyaml.JSON(a["Metrics"]))
		}
	}
	// Nothing queued (load -1, 1.25 below the threshold 0.25): -100%, i.e. no workers.
	in := props(t, doc, "ScaleInPolicy")["StepAdjustments"].([]any)[0].(map[string]any)
	if in["ScalingAdjustment"] != -100 || in["MetricIntervalUpperBound"] != -1 || props(t, doc, "ScaleInAlarm")["Threshold"] != 0.25 {
		t.Errorf("an idle queue does not take the workers to zero: %v", in)
	}
	if fmt.Sprint(props(t, doc, "ScaleInAlarm")["EvaluationPeriods"]) != fmt.Sprint(map[string]any{"Ref": "IdleMinutes"}) {
		t.Error("scale-in does not wait IdleMinutes")
	}
	if props(t, doc, "WakePolicy")["StepAdjustments"].([]any)[0].(map[string]any)["ScalingAdjustment"] != 1 {
		t.Error("wake does not start one worker")
	}
	if props(t, doc, "ScaleInAlarm")["TreatMissingData"] != "breaching" {
		t.Error("an inactive queue (SQS stops its metrics) must count as idle")
	}
}

func TestAlarms(t *testing.T) {
	docs := allTemplates(t)
	alert := fmt.Sprint([]any{map[string]any{"Ref": "AlertTopicArn"}})
	for kind, names := range map[Kind][]string{KindS3Task: {"DeadLetterAlarm", "NoProgressAlarm"}, KindImageTask: {"RunFailedAlarm"}} {
		doc := docs[kind]
		for _, n := range names {
			a := props(t, doc, n)
			if fmt.Sprint(a["AlarmActions"]) != alert {
				t.Errorf("%s/%s: does not notify the alert topic: %v", kind, n, a["AlarmActions"])
			}
			if !strings.HasPrefix(fmt.Sprint(get(a, "AlarmName.Fn::Sub")), "${AWS::StackName}-") {
				t.Errorf("%s/%s: alarm names start with the stack name (the e-mail subscription filters on it)", kind, n)
			}
		}
		sub := props(t, doc, "AlarmSubscription")
		if doc.Resources["AlarmSubscription"].Condition != "HasEmail" || sub["FilterPolicyScope"] != "MessageBody" {
			t.Errorf("%s: optional e-mail subscription filtered to the task: %v", kind, sub)
		}
	}
	s3 := docs[KindS3Task]
	dlq := props(t, s3, "DeadLetterAlarm")
	if fmt.Sprint(get(dlq, "Dimensions.0.Value")) != fmt.Sprint(map[string]any{"Fn::GetAtt": []any{"DeadLetterQueue", "QueueName"}}) || dlq["ComparisonOperator"] != "GreaterThanThreshold" || dlq["Threshold"] != 0 {
		t.Errorf("dead-letter alarm: %v", dlq)
	}
	np := props(t, s3, "NoProgressAlarm")
	if fmt.Sprint(np["EvaluationPeriods"]) != fmt.Sprint(map[string]any{"Ref": "NoProgressMinutes"}) || !strings.Contains(cfnyaml.JSON(np["Metrics"]), "NumberOfMessagesDeleted") {
		t.Errorf("no-progress alarm: %v", np)
	}
	rule := props(t, s3, "FinderFailedRule")
	pattern := cfnyaml.JSON(rule["EventPattern"])
	for _, want := range []string{"ECS Task State Change", "STOPPED", "TaskFailedToStart", `"anything-but": [`, "-finder:"} {
		if !strings.Contains(pattern, want) {
			t.Errorf("finder-failed rule pattern lacks %q: %s", want, pattern)
		}
	}
	if fmt.Sprint(get(rule, "Targets.0.Arn")) != fmt.Sprint(map[string]any{"Ref": "AlertTopicArn"}) {
		t.Error("finder-failed rule does not notify the alert topic")
	}
	// Exit 3 (another finder runs) is not a failure.
	if !strings.Contains(regexp.MustCompile(`\s`).ReplaceAllString(pattern, ""), `"anything-but":[0,3]`) {
		t.Errorf("exit statuses 0 and 3 must not alarm: %s", pattern)
	}
}

func TestFinderAndSchedules(t *testing.T) {
	docs := allTemplates(t)
	s3 := docs[KindS3Task]
	td := props(t, s3, "FinderTaskDefinition")
	if fmt.Sprint(td["RequiresCompatibilities"]) != "[FARGATE]" || get(td, "RuntimePlatform.CpuArchitecture") != "ARM64" {
		t.Errorf("finder: not Fargate on Graviton: %v", td)
	}
	if c := get(td, "ContainerDefinitions.0.Command"); fmt.Sprint(c) != "[s3 find]" {
		t.Errorf("finder command %v", c)
	}
	for kind, name := range map[Kind]string{KindS3Task: "FinderSchedule", KindImageTask: "RunSchedule"} {
		doc := docs[kind]
		r := doc.Resources[name]
		if r.Type != "AWS::Scheduler::Schedule" || r.Condition != "HasSchedule" {
			t.Errorf("%s/%s: %v", kind, name, r.Raw)
		}
		if fmt.Sprint(r.Properties["ScheduleExpressionTimezone"]) != fmt.Sprint(map[string]any{"Ref": "ScheduleTimeZone"}) {
			t.Errorf("%s/%s: the schedule's time zone is not the task's", kind, name)
		}
	}
	if fmt.Sprint(get(props(t, s3, "FinderSchedule"), "Target.EcsParameters.TaskDefinitionArn")) != fmt.Sprint(map[string]any{"Ref": "FinderTaskDefinition"}) {
		t.Error("the schedule does not start the finder")
	}
}

// TestStateMachine reads the image task's definition with the template's substitutions
// filled in.
func TestStateMachine(t *testing.T) {
	doc := allTemplates(t)[KindImageTask]
	sub := get(props(t, doc, "StateMachine"), "DefinitionString.Fn::Sub").([]any)
	body := regexp.MustCompile(`\$\{[^}]+\}`).ReplaceAllStringFunc(sub[0].(string), func(v string) string {
		switch v {
		case "${MaxConcurrency}", "${RetryIntervalSeconds}", "${RetryAttempts}", "${RunTimeoutSeconds}":
			return "7"
		}
		return "X"
	})
	var def map[string]any
	if err := json.Unmarshal([]byte(body), &def); err != nil {
		t.Fatalf("the definition is not JSON once substituted: %v\n%s", err, body)
	}
	if get(def, "States.List.Resource") != "arn:X:states:::lambda:invoke" {
		t.Errorf("List: %v", get(def, "States.List"))
	}
	m := get(def, "States.Copy").(map[string]any)
	if m["Type"] != "Map" || m["MaxConcurrency"] != float64(7) || m["ItemsPath"] != "$.batches" {
		t.Errorf("Copy: %v", m)
	}
	copyBatch := get(m, "ItemProcessor.States.CopyBatch").(map[string]any)
	if copyBatch["Resource"] != "arn:X:states:::ecs:runTask.sync" {
		t.Errorf("CopyBatch resource %v", copyBatch["Resource"])
	}
	env := get(copyBatch, "Parameters.Overrides.ContainerOverrides.0.Environment.0").(map[string]any)
	if env["Name"] != "THUB_INPUT_JSON" || env["Value.$"] != "States.JsonToString($)" {
		t.Errorf("the batch does not reach the copier as THUB_INPUT_JSON: %v", env)
	}
	if get(copyBatch, "Retry.0.BackoffRate") != float64(2) || get(copyBatch, "Catch.0.Next") != "BatchFailed" {
		t.Errorf("CopyBatch retry/catch: %v %v", copyBatch["Retry"], copyBatch["Catch"])
	}
	if get(def, "States.Outcome.Choices.0.Next") != "Failed" || get(def, "States.Failed.Type") != "Fail" {
		t.Error("a run with failed batches does not end FAILED")
	}
	// One execution runs the task at a time: the listing takes the execution lease for
	// the execution, a busy task ends the execution without a run, and the last step
	// releases the lease whatever the copiers did.
	if fmt.Sprint(get(def, "States.List.Parameters.Payload")) != "map[execution.$:$$.Execution.Id runTimeoutSeconds:7]" {
		t.Errorf("the listing is not told its execution and its timeout: %v", get(def, "States.List.Parameters.Payload"))
	}
	if fmt.Sprint(get(def, "States.List.Catch.0.ErrorEquals")) != "[TaskBusy]" || get(def, "States.List.Catch.0.Next") != "AlreadyRunning" ||
		get(def, "States.AlreadyRunning.Type") != "Succeed" {
		t.Errorf("a busy task does not end the execution without a run: %v", get(def, "States.List.Catch"))
	}
	if fmt.Sprint(get(def, "States.List.Catch.1.ErrorEquals")) != "[TaskStopped]" || get(def, "States.List.Catch.1.Next") != "Stopped" ||
		get(def, "States.Stopped.Type") != "Succeed" {
		t.Errorf("a stopped task does not end the execution without a run (and without failing): %v", get(def, "States.List.Catch"))
	}
	if m["Next"] != "Release" || get(def, "States.Release.Next") != "Summarize" || get(def, "States.Release.Catch.0.Next") != "Summarize" ||
		fmt.Sprint(get(def, "States.Release.Parameters.Payload")) != "map[execution.$:$$.Execution.Id release:true runId.$:$.runId]" {
		t.Errorf("the copies are not followed by the lease's release: %v", get(def, "States.Release"))
	}
	if fmt.Sprint(get(props(t, doc, "ListLeasePolicy"), "PolicyDocument.Statement.0.Action")) != "states:DescribeExecution" {
		t.Error("the lister cannot ask whether the execution holding the task still runs")
	}
}

// TestPolicyScoping: every statement of every AWS::IAM::Policy names the stack's own
// resources (a parameter or resource of the template), except the actions AWS only
// grants on "*", each listed with why.
func TestPolicyScoping(t *testing.T) {
	// Actions without resource-level permissions.
	star := map[string]string{
		"ecr:GetAuthorizationToken":     "registry tokens are per account and Region",
		"logs:CreateLogDelivery":        "Step Functions' vended log delivery",
		"logs:GetLogDelivery":           "Step Functions' vended log delivery",
		"logs:UpdateLogDelivery":        "Step Functions' vended log delivery",
		"logs:DeleteLogDelivery":        "Step Functions' vended log delivery",
		"logs:ListLogDeliveries":        "Step Functions' vended log delivery",
		"logs:PutResourcePolicy":        "Step Functions' vended log delivery",
		"logs:DescribeResourcePolicies": "Step Functions' vended log delivery",
		"logs:DescribeLogGroups":        "Step Functions' vended log delivery",
	}
	// Resources named by AWS, not by the stack.
	fixed := map[string]string{
		"arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForECSTaskRule": "the rule ecs:runTask.sync uses",
	}
	for kind, doc := range allTemplates(t) {
		own := map[string]bool{}
		for n := range doc.Parameters {
			own[n] = true
		}
		for n := range doc.Resources {
			own[n] = true
		}
		for _, name := range doc.OfType("AWS::IAM::Policy") {
			p := props(t, doc, name)
			if p["Roles"] == nil {
				t.Errorf("%s/%s: attached to no role", kind, name)
			}
			for i, st := range get(p, "PolicyDocument.Statement").([]any) {
				st := st.(map[string]any)
				where := fmt.Sprintf("%s/%s statement %d (%v)", kind, name, i, st["Sid"])
				if st["Effect"] != "Allow" {
					continue
				}
				actions := list(st["Action"])
				for _, a := range actions {
					if strings.Contains(a.(string), "*") {
						t.Errorf("%s: wildcard action %v", where, a)
					}
					if strings.HasPrefix(a.(string), "iam:") && a != "iam:PassRole" {
						t.Errorf("%s: IAM action %v", where, a)
					}
				}
				for _, r := range list(st["Resource"]) {
					if r == "*" {
						for _, a := range actions {
							if star[a.(string)] == "" {
								t.Errorf("%s: %v on \"*\" (only %v may be)", where, a, keys(star))
							}
						}
						continue
					}
					if s, ok := subString(r); ok && fixed[s] != "" {
						continue
					}
					if !namesOwn(r, own) {
						t.Errorf("%s: resource %s names nothing of the stack", where, cfnyaml.JSON(r))
					}
				}
			}
		}
	}
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func subString(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	switch s := m["Fn::Sub"].(type) {
	case string:
		return s, true
	case []any:
		str, ok := s[0].(string)
		return str, ok
	}
	return "", false
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9.:]+)\}`)

// namesOwn: a Ref or GetAtt of the template's own parameters or resources, or a Sub
// whose variables include one (its own or defined in its variable map).
func namesOwn(v any, own map[string]bool) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if ref, ok := m["Ref"].(string); ok {
		return own[ref]
	}
	if ifv, ok := m["Fn::If"].([]any); ok && len(ifv) == 3 {
		return namesOwn(ifv[1], own) && namesOwn(ifv[2], own)
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok {
		return own[fmt.Sprint(ga[0])]
	}
	for _, fn := range []string{"Fn::Select", "Fn::Split", "Fn::Join"} {
		if args, ok := m[fn].([]any); ok {
			for _, a := range args {
				if namesOwn(a, own) {
					return true
				}
			}
			return false
		}
	}
	s, ok := subString(v)
	if !ok {
		return false
	}
	// Task definition families are named after the stack (<stack>-finder, -copier).
	if strings.Contains(s, "${AWS::StackName}-") {
		return true
	}
	local := map[string]bool{}
	if l, ok := m["Fn::Sub"].([]any); ok && len(l) == 2 {
		for k, val := range l[1].(map[string]any) {
			local[k] = namesOwn(val, own) || fmt.Sprint(val) == fmt.Sprint(map[string]any{"Ref": "AWS::AccountId"})
		}
	}
	for _, match := range subVar.FindAllStringSubmatch(s, -1) {
		name := strings.Split(match[1], ".")[0]
		if own[name] || local[name] {
			return true
		}
	}
	return false
}

// TestTaskTableIsTheAgentsSchema: the task templates' table is rendered from
// cloud/state/dynamostore.CreateTable (go generate ./cloud/stack).
func TestTaskTableIsTheAgentsSchema(t *testing.T) {
	want, err := tabledef.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range []Template{S3Task(), ImageTask()} {
		got, err := tabledef.Current(tpl.Body)
		if err != nil {
			t.Fatalf("%s: %v", tpl.Kind, err)
		}
		if got != want {
			t.Errorf("%s: the task table differs from dynamostore.CreateTable's schema: run go generate ./cloud/stack\n--- template\n%s--- schema\n%s", tpl.Kind, got, want)
		}
	}
}

// TestPartitionSpecifics: what differs in aws-cn is spelled through the template's
// pseudo parameters and mappings.
func TestPartitionSpecifics(t *testing.T) {
	docs := allTemplates(t)
	trust := get(props(t, docs[KindS3Task], "WorkerRole"), "AssumeRolePolicyDocument.Statement.0.Principal.Service")
	if fmt.Sprint(trust) != fmt.Sprint(map[string]any{"Fn::Sub": "ec2.${AWS::URLSuffix}"}) {
		t.Errorf("the worker role trusts %v: EC2's principal is ec2.amazonaws.com.cn in China", trust)
	}
	cp := docs[KindControlPlane]
	m := get(cp.Raw, "Mappings.Partition").(map[string]any)
	for _, part := range []string{"aws", "aws-cn", "aws-us-gov"} {
		if m[part] == nil {
			t.Errorf("no endpoint mapping for partition %s", part)
		}
	}
	if get(m, "aws-cn.CnPrefix") != "cn.com.amazonaws" {
		t.Error("China's interface endpoints are cn.com.amazonaws.<region>.<service>")
	}
	kp, _ := props(t, cp, "Key")["KeyPolicy"].(map[string]any)["Fn::Sub"].(string)
	if !strings.Contains(kp, `"logs.${AWS::Region}.${AWS::URLSuffix}"`) {
		t.Error("CloudWatch Logs' principal is logs.<region>.amazonaws.com.cn in China")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(regexp.MustCompile(`\$\{[^}]+\}`).ReplaceAllString(kp, "X")), &doc); err != nil {
		t.Errorf("the key policy is not JSON: %v", err)
	}
}

// TestWorkerCompletesLifecycleHook: the worker is told its group and terminate hook (so
// it can complete the hook's action once it stopped), both the ones the group has, and
// its role may complete the action in its own group only.
func TestWorkerCompletesLifecycleHook(t *testing.T) {
	doc := allTemplates(t)[KindS3Task]
	ud := userData(t, doc)
	hook := get(props(t, doc, "WorkerGroup"), "LifecycleHookSpecificationList.0")
	if get(hook.(map[string]any), "LifecycleTransition") != "autoscaling:EC2_INSTANCE_TERMINATING" {
		t.Fatalf("the group's first hook is not its terminate hook: %v", hook)
	}
	if !strings.Contains(ud, "\nTHUB_LIFECYCLE_HOOK="+fmt.Sprint(get(hook.(map[string]any), "LifecycleHookName"))+"\n") {
		t.Errorf("the worker is not told the terminate hook's name %v", get(hook.(map[string]any), "LifecycleHookName"))
	}
	if !strings.Contains(ud, "\nTHUB_ASG_NAME=${GroupName}\n") {
		t.Error("the worker is not told its group's name")
	}
	vars := get(props(t, doc, "WorkerLaunchTemplate"), "LaunchTemplateData.UserData.Fn::Base64.Fn::Sub.1").(map[string]any)
	if name := get(props(t, doc, "WorkerGroup"), "AutoScalingGroupName"); fmt.Sprint(name) != fmt.Sprint(vars["GroupName"]) || name == nil {
		t.Errorf("the group is named %v, the workers are told %v", name, vars["GroupName"])
	}
	st := get(props(t, doc, "WorkerLifecyclePolicy"), "PolicyDocument.Statement.0").(map[string]any)
	if st["Action"] != "autoscaling:CompleteLifecycleAction" || fmt.Sprint(get(props(t, doc, "WorkerLifecyclePolicy"), "Roles")) != "[map[Ref:WorkerRole]]" {
		t.Errorf("the worker's role may not complete the lifecycle action: %v", st)
	}
	if s, _ := subString(st["Resource"]); !strings.HasSuffix(s, ":autoScalingGroup:*:autoScalingGroupName/${WorkerGroup}") {
		t.Errorf("CompleteLifecycleAction is not scoped to the worker group: %v", st["Resource"])
	}
}
