package testenv_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

// The emulator wrapper's CompleteLifecycleAction (moto has none): accepted for a group
// that exists, refused for one that does not, and listed for the harness.
func TestCompleteLifecycleAction(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.Load(t).AWSConfig(t)
	e := ec2.NewFromConfig(cfg)
	lt, err := e.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(testenv.Name("th-lt")),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro}})
	require.NoError(t, err)
	as := autoscaling.NewFromConfig(cfg)
	group := testenv.Name("th-workers")
	_, err = as.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(0), AvailabilityZones: []string{"us-east-1a"},
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId}})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = as.DeleteAutoScalingGroup(context.Background(), &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), ForceDelete: aws.Bool(true)})
	})
	instance := testenv.Name("i-")
	_, err = as.CompleteLifecycleAction(ctx, &autoscaling.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String(group),
		LifecycleHookName: aws.String("drain"), InstanceId: aws.String(instance), LifecycleActionResult: aws.String("CONTINUE")})
	require.NoError(t, err)
	_, err = as.CompleteLifecycleAction(ctx, &autoscaling.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String(group + "-none"),
		LifecycleHookName: aws.String("drain"), InstanceId: aws.String(instance), LifecycleActionResult: aws.String("CONTINUE")})
	require.ErrorContains(t, err, "ValidationError")

	resp, err := http.Get(strings.TrimSuffix(aws.ToString(cfg.BaseEndpoint), "/") + "/_thub/autoscaling/lifecycle-actions")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var acts []map[string]string
	require.NoError(t, json.Unmarshal(b, &acts), string(b))
	require.Contains(t, acts, map[string]string{"group": group, "hook": "drain", "instance": instance, "result": "CONTINUE"})
	for _, a := range acts {
		require.NotEqual(t, group+"-none", a["group"])
	}
}
