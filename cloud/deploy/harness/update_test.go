package harness

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"transferhub/cloud/testenv"
)

// A stack of one worker group and one task definition in the shape of the S3 task's,
// updated in the AWS emulator: what the harness would run after each update is what
// AWS would run, though the emulator leaves the task definition's container empty, the
// group on the launch template version it was created with, and the launch template
// without a new version when the change reaches it through !Sub alone. A group that
// names its launch template's default version keeps the old user data, as on AWS.
func TestWhatRunsAfterAStackUpdate(t *testing.T) {
	env := testenv.Load(t)
	env.Require(t, testenv.AWS)
	ctx := context.Background()
	cfg := env.AWSConfig(t)
	h, err := New(ctx, Config{AWS: cfg, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	cf := cloudformation.NewFromConfig(cfg)
	sn, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(sn.Subnets) == 0 {
		t.Fatalf("the emulator's default subnets: %v", err)
	}
	subnet := aws.ToString(sn.Subnets[0].SubnetId)

	deploy := func(name, version, dst, gib string, update bool) *s3Task {
		t.Helper()
		body := strings.ReplaceAll(updateTemplate, "VERSION", version)
		params := []cftypes.Parameter{{ParameterKey: aws.String("Dst"), ParameterValue: aws.String(dst)},
			{ParameterKey: aws.String("VolumeGiB"), ParameterValue: aws.String(gib)}, {ParameterKey: aws.String("Subnets"), ParameterValue: aws.String(subnet)}}
		if update {
			_, err = cf.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body), Parameters: params})
		} else {
			_, err = cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body), Parameters: params})
			t.Cleanup(func() {
				_, _ = cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(name)})
			})
		}
		if err != nil {
			t.Fatalf("deploy %s: %v", name, err)
		}
		d, err := readStack(ctx, h.cf, name, cfg.Region, h.account)
		if err != nil {
			t.Fatal(err)
		}
		s, err := h.newS3Task(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// runs is the destination the group's next worker gets, and the version the
	// emulator's group names.
	runs := func(s *s3Task) (string, string) {
		t.Helper()
		g, err := s.describeGroup(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		ud, err := s.userData(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		return ud.envValue("THUB_DST"), aws.ToString(g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.Version)
	}
	versions := func(s *s3Task) int {
		t.Helper()
		out, err := h.ec2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(s.d.physical["WorkerLaunchTemplate"])})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.LaunchTemplateVersions)
	}

	name := testenv.Name("th-update")
	s := deploy(name, "!GetAtt WorkerLaunchTemplate.LatestVersionNumber", "old", "8", false)
	if dst, _ := runs(s); dst != "s3://old/" {
		t.Fatalf("created: the worker would copy to %s", dst)
	}

	// A change through !Sub only: the emulator makes no launch template version, and
	// empties the re-registered task definition's container.
	s = deploy(name, "!GetAtt WorkerLaunchTemplate.LatestVersionNumber", "new", "8", true)
	if n := versions(s); n != 1 {
		t.Errorf("the emulator made %d launch template versions: re-check the stand-in (cloud/docs/deploy.md)", n)
	}
	if dst, _ := runs(s); dst != "s3://new/" {
		t.Errorf("updated through !Sub: the worker would copy to %s, want s3://new/", dst)
	}
	td, err := ecs.NewFromConfig(cfg).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(s.d.physical["FinderTaskDefinition"])})
	if err != nil {
		t.Fatal(err)
	}
	if img := aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image); img != "" {
		t.Errorf("the emulator kept the updated container's image %q: re-check the stand-in (cloud/docs/deploy.md)", img)
	}
	c, err := s.d.container("FinderTaskDefinition")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(c.Image) != "agent:1" || aws.ToString(c.Environment[0].Value) != "s3://new/" {
		t.Errorf("the finder's container from the template: image %s, environment %v", aws.ToString(c.Image), aws.ToString(c.Environment[0].Value))
	}

	// A change through !Ref too: the emulator makes version 2, its group stays on 1.
	s = deploy(name, "!GetAtt WorkerLaunchTemplate.LatestVersionNumber", "newer", "9", true)
	dst, groupVersion := runs(s)
	if dst != "s3://newer/" {
		t.Errorf("updated through !Ref: the worker would copy to %s, want s3://newer/", dst)
	}
	if n := versions(s); n != 2 || groupVersion != "1" {
		t.Errorf("the emulator: %d launch template versions, the group on version %s: re-check the stand-in (cloud/docs/deploy.md)", n, groupVersion)
	}

	// A group on the default version keeps the old user data, as on AWS.
	pinned := testenv.Name("th-pinned")
	deploy(pinned, "!GetAtt WorkerLaunchTemplate.DefaultVersionNumber", "old", "8", false)
	s = deploy(pinned, "!GetAtt WorkerLaunchTemplate.DefaultVersionNumber", "new", "9", true)
	if dst, _ := runs(s); dst != "s3://old/" {
		t.Errorf("a group on the default version: the worker would copy to %s, want the old s3://old/", dst)
	}
	if ps := h.Problems(); len(ps) > 0 {
		t.Errorf("problems: %v", ps)
	}
}

// updateTemplate: the S3 task's worker contract, cut down (VERSION: the group's launch
// template version).
const updateTemplate = `
Parameters:
  Dst: {Type: String}
  VolumeGiB: {Type: String}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
Resources:
  WorkerLaunchTemplate:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: ami-12c6146b
        InstanceType: t3.micro
        IamInstanceProfile: {Arn: arn:aws:iam::123456789012:instance-profile/worker}
        TagSpecifications:
          - ResourceType: instance
            Tags: [{Key: volume, Value: !Ref VolumeGiB}]
        UserData:
          Fn::Base64: !Sub |
            #!/bin/bash
            cat > /etc/thub/env <<'EOF'
            THUB_DST=s3://${Dst}/
            EOF
            case "$(uname -m)" in
              aarch64) sum=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ;;
              x86_64) sum=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb ;;
            esac
            aws s3 cp --only-show-errors "s3://assets/sha256/$sum" /tmp/thub
            install -m 0755 /tmp/thub /usr/local/bin/thub
            cat > /etc/systemd/system/thub-worker.service <<'EOF'
            [Service]
            EnvironmentFile=/etc/thub/env
            ExecStart=/usr/local/bin/thub s3 work
            StandardOutput=append:/var/log/thub/worker.log
            EOF
            cat > /opt/thub.json <<'EOF'
            {"logs": {"logs_collected": {"files": {"collect_list": [{"file_path": "/var/log/thub/worker.log",
              "log_group_name": "agents", "log_stream_name": "t/worker/{instance_id}"}]}}}}
            EOF
  WorkerGroup:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "0"
      MaxSize: "1"
      VPCZoneIdentifier: !Ref Subnets
      MixedInstancesPolicy:
        LaunchTemplate:
          LaunchTemplateSpecification:
            LaunchTemplateId: !Ref WorkerLaunchTemplate
            Version: VERSION
          Overrides: [{InstanceType: t3.micro}]
  FinderTaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: !Sub ${AWS::StackName}-finder
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions:
        - Name: finder
          Image: agent:1
          Essential: true
          EntryPoint: [/thub]
          Command: [s3, find]
          Environment:
            - {Name: THUB_DST, Value: !Sub "s3://${Dst}/"}
            - {Name: THUB_DST_BUCKET, Value: !Ref Dst}
            - {Name: THUB_VOLUME, Value: !Ref VolumeGiB}
`
