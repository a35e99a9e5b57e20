package harness_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"transferhub/cloud/deploy/harness"
)

// noSecrets looks for each secret value everywhere a user, an operator or an attacker
// with read access to the account could look after a deploy and a run: every stack's
// parameters, outputs and template; the launch templates' user data, the task
// definitions, the functions' environments; every CloudWatch Logs group; the tables
// of the control plane and its tasks; the queue's messages (as read during the run); the agents' own output
// and the deployer's log.
func noSecrets(t *testing.T, c *cloud, h *harness.Harness, secrets map[string]string, messages []string) {
	t.Helper()
	ctx := context.Background()
	places := map[string]string{}
	add := func(where, text string) { places[where] += text + "\n" }

	cf := cloudformation.NewFromConfig(c.cfg)
	stacks, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stacks.Stacks {
		name := aws.ToString(s.StackName)
		if !strings.HasPrefix(name, c.cpName) {
			continue
		}
		b, _ := json.Marshal(s)
		add("stack "+name+" (parameters, outputs, tags)", string(b))
		tpl, err := cf.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: s.StackName})
		if err != nil {
			t.Fatal(err)
		}
		add("template of "+name, aws.ToString(tpl.TemplateBody))
		res, err := cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: s.StackName})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.StackResources {
			id := aws.ToString(r.PhysicalResourceId)
			switch aws.ToString(r.ResourceType) {
			case "AWS::EC2::LaunchTemplate":
				v, err := ec2.NewFromConfig(c.cfg).DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(id)})
				if err != nil {
					t.Fatal(err)
				}
				for _, lv := range v.LaunchTemplateVersions {
					ud, _ := base64.StdEncoding.DecodeString(aws.ToString(lv.LaunchTemplateData.UserData))
					add("user data of "+id, string(ud))
				}
			case "AWS::ECS::TaskDefinition":
				td, err := ecs.NewFromConfig(c.cfg).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(id)})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(td.TaskDefinition)
				add("task definition "+id, string(b))
			case "AWS::Lambda::Function":
				fn, err := lambda.NewFromConfig(c.cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(id)})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(fn.Configuration)
				add("function "+id, string(b))
			}
		}
	}
	cw := cloudwatchlogs.NewFromConfig(c.cfg)
	groups := cloudwatchlogs.NewDescribeLogGroupsPaginator(cw, &cloudwatchlogs.DescribeLogGroupsInput{})
	nlog := 0
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.LogGroups {
			ev := cloudwatchlogs.NewFilterLogEventsPaginator(cw, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g.LogGroupName})
			for ev.HasMorePages() {
				p, err := ev.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range p.Events {
					add("CloudWatch Logs "+aws.ToString(g.LogGroupName)+" "+aws.ToString(e.LogStreamName), aws.ToString(e.Message))
					nlog++
				}
			}
		}
	}
	ddb := dynamodb.NewFromConfig(c.cfg)
	tables := dynamodb.NewListTablesPaginator(ddb, &dynamodb.ListTablesInput{})
	nitems := 0
	for tables.HasMorePages() {
		page, err := tables.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range page.TableNames {
			if !strings.HasPrefix(name, c.cpName) { // other tests' tables share the emulator
				continue
			}
			sc := dynamodb.NewScanPaginator(ddb, &dynamodb.ScanInput{TableName: aws.String(name)})
			for sc.HasMorePages() {
				p, err := sc.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					b, _ := json.Marshal(it)
					add("table "+name, string(b))
					nitems++
				}
			}
		}
	}
	for _, m := range messages {
		add("queue messages", m)
	}
	for _, p := range h.Processes() {
		add("output of "+p.Kind+" "+p.Name, p.Output())
	}
	add("the deployer's log", c.appLogs.String())
	if nlog == 0 || nitems == 0 || len(messages) == 0 {
		t.Fatalf("nothing to look in: %d log events, %d items, %d messages", nlog, nitems, len(messages))
	}
	for what, secret := range secrets {
		if len(secret) < 8 {
			t.Fatalf("%s is too short to look for", what)
		}
		for where, text := range places {
			if strings.Contains(text, secret) {
				t.Errorf("%s appears in %s", what, where)
			}
		}
	}
	t.Logf("looked in %d places (%d log events, %d items, %d messages) for %d secrets", len(places), nlog, nitems, len(messages), len(secrets))
}
