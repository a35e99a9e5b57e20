package deployments_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"transferhub/backend/cloudaccess"
	"transferhub/backend/credentials"
	"transferhub/backend/tasks"
	"transferhub/cloud/deploy/assets"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/testenv"
)

// cloudRig is what the cloud task tests open with: the AWS emulator's account, the
// registry standing in for ECR's (it accepts only the emulator's token, as ECR would),
// the two S3 gateways, and in-memory credentials holding the account and gateway A
// reached through a proxy that fails reads of poison.bin while poisoned is set (it is
// at first).
type cloudRig struct {
	env         *testenv.Env
	agents      string // the agents built for Linux
	cfg         aws.Config
	reg         *imagetest.Proxy
	a, b        gateway
	poisoned    *atomic.Bool
	srcEndpoint string // gateway A behind the poison proxy
	creds       *memCreds
	acct        credentials.Resolved // the emulator's account
	srcProf     credentials.Resolved // gateway A through srcEndpoint
}

func newCloudRig(t *testing.T) *cloudRig {
	t.Helper()
	env := testenv.Load(t)
	env.Require(t, testenv.AWS, testenv.S3A, testenv.S3B, testenv.RegAuth)
	r := &cloudRig{env: env, agents: linuxAgents.Dir(t), cfg: env.AWSConfig(t), poisoned: &atomic.Bool{}, creds: &memCreds{}}
	r.reg = imagetest.NewECRProxy(t, env, r.cfg)
	r.a, r.b = newGateway(t, env, testenv.S3A), newGateway(t, env, testenv.S3B)
	r.poisoned.Store(true)
	r.srcEndpoint = poisonProxy(t, r.a.endpoint, r.poisoned)
	r.acct = r.creds.add(emulatorAccount(t, r.cfg))
	r.srcProf = r.creds.add(r.a.profile("cloud A", r.srcEndpoint))
	return r
}

// access is the app's way into the rig's account (the Linux agents, the ECR stand-in,
// a quick poll); counter, when not nil, counts the calls of its SDK clients.
func (r *cloudRig) access(t *testing.T, counter *callCounter) *cloudaccess.Access {
	return cloudaccess.New(cloudaccess.Options{Credentials: r.creds, Agents: assets.Dir(r.agents), Emulator: true, RegistryHost: r.reg.Host, RegistryInsecure: true,
		Poll: 100 * time.Millisecond, Config: func(context.Context, string, string) (aws.Config, error) {
			cfg := r.env.AWSConfig(t)
			if counter != nil {
				counter.install(&cfg)
			}
			return cfg, nil
		}})
}

// openManager opens the task model opts describe; it is closed when the test ends.
func openManager(t *testing.T, opts tasks.Options) *tasks.Manager {
	t.Helper()
	mgr := tasks.New(opts)
	require.NoError(t, mgr.Open(context.Background()))
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		mgr.Close(c)
	})
	return mgr
}
