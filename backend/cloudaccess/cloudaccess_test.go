package cloudaccess_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/cloudaccess"
)

// With EmulatorEndpoint, only the accounts reached at the emulator's endpoint are
// deployed to the emulator's way; another endpoint (the replaying CloudFormation fake)
// gets a real CloudFormation's change sets.
func TestEmulatorEndpointLimitsEmulatorMode(t *testing.T) {
	endpoints := map[string]string{"emulator": "http://127.0.0.1:5000", "replay": "http://127.0.0.1:6000"}
	config := func(_ context.Context, profileID, region string) (aws.Config, error) {
		return aws.Config{Region: region, BaseEndpoint: aws.String(endpoints[profileID])}, nil
	}
	ctx := context.Background()

	limited := cloudaccess.New(cloudaccess.Options{Config: config, Emulator: true, EmulatorEndpoint: endpoints["emulator"]})
	emu, err := limited.Account(ctx, "emulator", "us-east-1")
	require.NoError(t, err)
	assert.True(t, emu.Deployer.Emulator)
	rep, err := limited.Account(ctx, "replay", "us-east-1")
	require.NoError(t, err)
	assert.False(t, rep.Deployer.Emulator, "the replaying fake has change sets")

	all := cloudaccess.New(cloudaccess.Options{Config: config, Emulator: true})
	rep, err = all.Account(ctx, "replay", "us-east-1")
	require.NoError(t, err)
	assert.True(t, rep.Deployer.Emulator, "without EmulatorEndpoint every account is the emulator")

	none := cloudaccess.New(cloudaccess.Options{Config: config, EmulatorEndpoint: endpoints["emulator"]})
	emu, err = none.Account(ctx, "emulator", "us-east-1")
	require.NoError(t, err)
	assert.False(t, emu.Deployer.Emulator, "EmulatorEndpoint alone turns nothing on")
}
