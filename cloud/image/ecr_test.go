package image

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"transferhub/cloud/image/ecr"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/testenv"
)

// ecrStandIn is an "ECR" for tests: the ECR API is the AWS emulator (moto), the
// registry data plane is the local TLS registry behind a proxy that accepts only the
// credential GetAuthorizationToken returned (and swaps in the registry's real
// password). So the test proves the engine used the emulator's token for the data plane.
type ecrStandIn struct {
	cfg   ecr.Config
	proxy *imagetest.Proxy
}

func newECRStandIn(t *testing.T, r regs, region string) ecrStandIn {
	t.Helper()
	r.env.Require(t, testenv.AWS)
	awsCfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(r.env.Get("TH_AWS_ACCESS_KEY"), r.env.Get("TH_AWS_SECRET_KEY"), "")}
	cfg := ecr.Config{Region: region, Endpoint: r.env.Get("TH_AWS_ENDPOINT"), AWS: &awsCfg}
	api, err := ecr.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := api.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.User != "AWS" || tok.Password == "" || tok.Password == r.pass {
		t.Fatalf("unexpected emulator token for user %q", tok.User)
	}
	p := newProxy(t, "https://"+r.auth, r.ca)
	p.RequireAuth = tok.User + ":" + tok.Password
	p.ForwardAuth = r.user + ":" + r.pass
	cfg.RegistryHost = p.Host
	return ecrStandIn{cfg: cfg, proxy: p}
}

// TestECRDestination: repositories are created on demand with the requested settings,
// the token from GetAuthorizationToken is used for the registry, the prefix applies.
func TestECRDestination(t *testing.T) {
	r, ctx, rc, ns := setup(t)
	img := push(t, rc, r.open+"/"+ns+"/svc:1.0", imagetest.Spec{Platforms: []string{"linux/amd64", "linux/arm64"}, Layers: []int64{64 << 10}, Seed: 41})
	ecrx := newECRStandIn(t, r, "us-east-1")
	acc := r.access(ecrx.proxy.Host)
	e := newEngine(t, Config{
		Access:  acc,
		DestECR: &ecrx.cfg,
		ECRRepo: ecr.RepoSettings{ScanOnPush: true, Immutable: true, KMSKey: "arn:aws:kms:us-east-1:123456789012:key/test-key"},
	})
	if e.DestRegistry() != ecrx.proxy.Host {
		t.Fatalf("dest registry %s", e.DestRegistry())
	}
	sum, err := e.Run(ctx, Spec{
		Sources:     []Source{{Registry: r.open, Repository: ns + "/svc", Tag: "1.0"}},
		Destination: Destination{Prefix: "mirror"},
		Copy:        CopyOptions{Referrers: true},
	}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 1, 1, 0, 0)
	// the data landed in the registry behind the stand-in, same digest
	if _, d := r.rawManifest(t, r.auth+"/mirror/"+ns+"/svc:1.0"); d != img.Digest {
		t.Fatalf("digest %s, want %s", d, img.Digest)
	}
	unauth := 0
	for _, q := range ecrx.proxy.Requests() {
		if q.Status == 401 {
			unauth++
		}
	}
	if unauth > 2 {
		t.Errorf("%d requests were refused: the ECR token was not used", unauth)
	}
	api, _ := ecr.New(ctx, ecrx.cfg)
	repo, err := api.Describe(ctx, "mirror/"+ns+"/svc")
	if err != nil {
		t.Fatal(err)
	}
	if repo.ImageScanningConfiguration == nil || !repo.ImageScanningConfiguration.ScanOnPush {
		t.Errorf("scan on push not set: %+v", repo.ImageScanningConfiguration)
	}
	if repo.ImageTagMutability != ecrtypes.ImageTagMutabilityImmutable {
		t.Errorf("tag mutability %s", repo.ImageTagMutability)
	}
	if repo.EncryptionConfiguration == nil || repo.EncryptionConfiguration.EncryptionType != ecrtypes.EncryptionTypeKms ||
		!strings.HasSuffix(aws.ToString(repo.EncryptionConfiguration.KmsKey), "key/test-key") {
		t.Errorf("encryption %+v", repo.EncryptionConfiguration)
	}
	// a re-run finds the repository and the image in place
	mustRun(ctx, t, e, Spec{Sources: []Source{{Registry: r.open, Repository: ns + "/svc", Tag: "1.0"}}, Destination: Destination{Prefix: "mirror"}}, RunOptions{}, 1, 0, 1, 0)
}

// TestECRSourceAllRepositories: every repository of the source ECR (filtered by
// prefix) with every tag, listed through the ECR API and the registry.
func TestECRSourceAllRepositories(t *testing.T) {
	r := loadRegs(t)
	ctx := ctxT(t)
	ns := uniq(t)
	ecrx := newECRStandIn(t, r, "eu-west-1")
	api, err := ecr.New(ctx, ecrx.cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc := r.rc(t)
	for _, repo := range []string{ns + "/one", ns + "/two", ns + "-other/three"} {
		if _, err := api.EnsureRepository(ctx, repo, ecr.RepoSettings{}); err != nil {
			t.Fatal(err)
		}
		push(t, rc, r.auth+"/"+repo+":v1", imagetest.Spec{Layers: []int64{2048}, Seed: uint64(len(repo))})
		push(t, rc, r.auth+"/"+repo+":v2", imagetest.Spec{Layers: []int64{2048}, Seed: uint64(len(repo)) + 100})
	}
	acc := r.access(ecrx.proxy.Host)
	e := newEngine(t, Config{Access: acc, SourceECR: &ecrx.cfg})
	sum, err := e.Run(ctx, Spec{
		RepoPrefix:  ns + "/",
		Tags:        TagFilter{Exclude: []string{"v1"}},
		Destination: Destination{Registry: r.open, Prefix: "from-ecr"},
	}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustSummary(t, sum, 2, 2, 0, 0)
	r.rawManifest(t, r.open+"/from-ecr/"+ns+"/one:v2")
	r.rawManifest(t, r.open+"/from-ecr/"+ns+"/two:v2")
}
