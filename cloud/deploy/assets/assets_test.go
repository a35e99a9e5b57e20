package assets

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	awsecr "github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/opencontainers/go-digest"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/ref"

	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
	"transferhub/cloud/image/imagetest"
	"transferhub/cloud/stack"
	"transferhub/cloud/testenv"
)

func agentsFS(arm, amd []byte) fstest.MapFS {
	return fstest.MapFS{"thub-linux-arm64": {Data: arm, Mode: 0o755}, "thub-linux-amd64": {Data: amd, Mode: 0o755}}
}

func TestLambdaZipIsReproducible(t *testing.T) {
	agent := imagetest.FakeAgent(1, 100_000)
	a, err := LambdaZip(agent)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LambdaZip(agent)
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same agent's zip differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("zip entries %+v", zr.File)
	}
	r, _ := zr.File[0].Open()
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, agent) {
		t.Error("bootstrap is not the agent")
	}
	if c, _ := LambdaZip(imagetest.FakeAgent(2, 100_000)); bytes.Equal(a, c) {
		t.Error("another agent gives the same zip")
	}
}

func TestImageIsReproducible(t *testing.T) {
	agents := map[string][]byte{"arm64": imagetest.FakeAgent(1, 50_000), "amd64": imagetest.FakeAgent(2, 50_000)}
	a, err := BuildImage(agents)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BuildImage(map[string][]byte{"arm64": agents["arm64"], "amd64": agents["amd64"]})
	if a.Index.Desc.Digest != b.Index.Desc.Digest || a.Tag != b.Tag {
		t.Fatalf("two builds differ: %s %s", a.Index.Desc.Digest, b.Index.Desc.Digest)
	}
	if !strings.HasPrefix(a.Tag, "thub-") || len(a.Tag) != 5+64 {
		t.Errorf("tag %q", a.Tag)
	}
	c, _ := BuildImage(map[string][]byte{"arm64": imagetest.FakeAgent(3, 50_000), "amd64": agents["amd64"]})
	if c.Index.Desc.Digest == a.Index.Desc.Digest {
		t.Error("another agent gives the same image")
	}
	if len(a.Platforms) != 2 || a.Platforms[1].Architecture != "arm64" || a.Platforms[0].Architecture != "amd64" {
		t.Errorf("platforms %+v", a.Platforms)
	}
	ca, _ := CABundle()
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) || bytes.Count(ca, []byte("BEGIN CERTIFICATE")) < 100 {
		t.Errorf("CA bundle with %d certificates", bytes.Count(ca, []byte("BEGIN CERTIFICATE")))
	}
	if _, err := BuildImage(map[string][]byte{"arm64": agents["arm64"]}); err == nil || !strings.Contains(err.Error(), "no linux/amd64 agent") {
		t.Errorf("an image without the amd64 agent: %v", err)
	}
}

func TestSourcesRefuseWhatIsNotTheAgent(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "thub-linux-arm64"), imagetest.FakeAgent(1, 1000), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "thub-linux-amd64"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadAgent(Dir(dir), "arm64"); err != nil || len(b) != 1000 {
		t.Errorf("arm64 from a directory: %v", err)
	}
	if _, err := ReadAgent(Dir(dir), "amd64"); err == nil || !strings.Contains(err.Error(), "not a Linux executable") {
		t.Errorf("a script as the agent: %v", err)
	}
	if _, err := ReadAgent(Dir(t.TempDir()), "arm64"); err == nil || !strings.Contains(err.Error(), "make build-thub") {
		t.Errorf("no agent: %v", err)
	}
	if b, err := ReadAgent(FS(agentsFS(imagetest.FakeAgent(5, 10), imagetest.FakeAgent(6, 10))), "amd64"); err != nil || len(b) != 10 {
		t.Errorf("amd64 from an FS: %v", err)
	}
}

// countingS3 counts the calls that would change the bucket.
type countingS3 struct {
	S3API
	mu   sync.Mutex
	puts []string
}

func (c *countingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.mu.Lock()
	c.puts = append(c.puts, aws.ToString(in.Key))
	c.mu.Unlock()
	return c.S3API.PutObject(ctx, in, o...)
}

// ecrStandIn is the control plane's repository for tests: the ECR API is the AWS
// emulator, the registry is the local TLS registry behind a proxy that only accepts the
// emulator's token (what the image tests use). It returns a client of the registry as
// the uploader gets one (ECRClient), the registry's host, the proxy and a new repository.
func ecrStandIn(t *testing.T, env *testenv.Env, cfg aws.Config) (*regclient.RegClient, string, *imagetest.Proxy, string) {
	t.Helper()
	env.Require(t, testenv.RegAuth)
	ctx := context.Background()
	repo := testenv.Name("thub") + "/agent"
	if _, err := awsecr.NewFromConfig(cfg).CreateRepository(ctx, &awsecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
		t.Fatal(err)
	}
	p := imagetest.NewECRProxy(t, env, cfg)
	ec := ecr.Config{Region: cfg.Region, Endpoint: env.Get("TH_AWS_ENDPOINT"), AWS: &cfg, RegistryHost: p.Host}
	rc, host, err := ECRClient(ctx, ec, image.Access{InsecureHTTP: []string{p.Host}})
	if err != nil {
		t.Fatal(err)
	}
	return rc, host, p, repo
}

// TestUploadIsIdempotent: against the emulator's S3 and the local registry behind the
// ECR token proxy, everything goes up once; the second upload sends nothing.
func TestUploadIsIdempotent(t *testing.T) {
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	rc, host, proxy, repo := ecrStandIn(t, env, cfg)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := testenv.Name("assets")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	arm, amd := imagetest.FakeAgent(11, 3<<20), imagetest.FakeAgent(12, 3<<20)
	var mu sync.Mutex
	var events []Event
	counting := &countingS3{S3API: client}
	u := &Uploader{S3: counting, Bucket: bucket, Region: cfg.Region, Registry: rc, Repository: host + "/" + repo,
		Progress: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }}

	res, err := u.Upload(ctx, FS(agentsFS(arm, amd)))
	if err != nil {
		t.Fatal(err)
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	zipBytes, _ := LambdaZip(arm)
	want := stack.AgentAssets{Arm64SHA256: sum(arm), Amd64SHA256: sum(amd), LambdaSHA256: sum(zipBytes)}
	img, _ := BuildImage(map[string][]byte{"arm64": arm, "amd64": amd})
	want.Image = host + "/" + repo + "@" + img.Index.Desc.Digest.String()
	if res.Agent != want {
		t.Errorf("assets %+v\nwant %+v", res.Agent, want)
	}
	for name, body := range map[string][]byte{res.Agent.Arm64SHA256: arm, res.Agent.Amd64SHA256: amd, res.Agent.LambdaSHA256: zipBytes} {
		got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(stack.AssetKey(name))})
		if err != nil {
			t.Fatalf("asset %s: %v", name, err)
		}
		b, _ := io.ReadAll(got.Body)
		if !bytes.Equal(b, body) {
			t.Errorf("asset %s holds other bytes", name)
		}
	}
	for kind, url := range res.Templates {
		tpl := map[stack.Kind]stack.Template{stack.KindS3Task: stack.S3Task(), stack.KindImageTask: stack.ImageTask()}[kind]
		if url != stack.TemplateURL(bucket, cfg.Region, stack.AssetKey(tpl.SHA256)) {
			t.Errorf("template %s at %s", kind, url)
		}
	}
	if len(counting.puts) != 5 {
		t.Errorf("%d objects went up, want 2 agents, the zip and 2 templates: %v", len(counting.puts), counting.puts)
	}
	checkPushedImage(t, u, res.Agent.Image, arm, amd)

	// Progress: every asset finished, the agents in more than one step.
	finished, steps := map[string]bool{}, map[string]int{}
	for _, e := range events {
		steps[e.Asset]++
		if e.Finished && !e.Skipped && e.Done == e.Total {
			finished[e.Asset] = true
		}
	}
	for _, a := range []string{"agent linux/arm64", "agent linux/amd64", "Lambda zip", "template s3-task", "template image-task", "image"} {
		if !finished[a] {
			t.Errorf("no finished event for %s", a)
		}
	}
	if steps["agent linux/arm64"] < 3 {
		t.Errorf("the 3 MiB agent reported %d steps", steps["agent linux/arm64"])
	}

	// The image went through the proxy, with the emulator's ECR token.
	writes, refused := 0, 0
	for _, r := range proxy.Requests() {
		if r.Method == "PUT" || r.Method == "POST" || r.Method == "PATCH" {
			writes++
		}
		if r.Status == 401 {
			refused++
		}
	}
	if writes < 7 || refused > 2 {
		t.Errorf("the registry saw %d writes (4 blobs, 3 manifests) and refused %d requests", writes, refused)
	}

	// Again: nothing goes up, the result is the same.
	counting.puts, events = nil, nil
	proxy.Reset()
	again, err := u.Upload(ctx, FS(agentsFS(arm, amd)))
	if err != nil {
		t.Fatal(err)
	}
	if again.Agent != res.Agent || len(again.Uploaded) != 0 || len(again.Skipped) != 6 {
		t.Errorf("second upload: %+v", again)
	}
	if len(counting.puts) != 0 {
		t.Errorf("the second upload sent %v", counting.puts)
	}
	for _, r := range proxy.Requests() {
		if r.Method != "GET" && r.Method != "HEAD" {
			t.Errorf("the second upload sent %s %s to the registry", r.Method, r.Path)
		}
	}
	for _, e := range events {
		if e.Finished && !e.Skipped {
			t.Errorf("second upload: %s was not skipped", e.Asset)
		}
	}
}

// TestUploadRepushesBlobsTheRegistryLost: a registry that answered a blob HEAD yes and
// then refuses the manifest for that blob (the distribution registry does so when the
// same layer goes to two repositories at once) gets every blob again, and the image is
// whole.
func TestUploadRepushesBlobsTheRegistryLost(t *testing.T) {
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	rc, host, proxy, repo := ecrStandIn(t, env, cfg)
	var manifestSeen atomic.Bool
	proxy.Fault = func(r *http.Request, _ int64) imagetest.FaultAction {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			manifestSeen.Store(true)
		}
		if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/blobs/") && !manifestSeen.Load() {
			return imagetest.Claim200
		}
		return imagetest.Pass
	}
	arm, amd := imagetest.FakeAgent(21, 1<<20), imagetest.FakeAgent(22, 1<<20)
	img, err := BuildImage(map[string][]byte{"arm64": arm, "amd64": amd})
	if err != nil {
		t.Fatal(err)
	}
	u := &Uploader{Registry: rc, Repository: host + "/" + repo}
	pinned, pushed, err := u.pushImage(ctx, img)
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if !pushed || pinned != host+"/"+repo+"@"+img.Index.Desc.Digest.String() {
		t.Errorf("pushed %v as %s", pushed, pinned)
	}
	refused, blobPuts := 0, 0
	for _, r := range proxy.Requests() {
		if r.Method == http.MethodPut && strings.Contains(r.Path, "/manifests/") && r.Status == http.StatusBadRequest {
			refused++
		}
		if r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/uploads/") {
			blobPuts++
		}
	}
	if refused == 0 || blobPuts < len(img.Blobs) {
		t.Errorf("the registry refused %d manifests and got %d blob uploads (want a refusal, then all %d blobs)", refused, blobPuts, len(img.Blobs))
	}
	checkPushedImage(t, u, pinned, arm, amd)
}

// checkPushedImage reads the image back: an index of both platforms whose layers hold
// the agents and the CA bundle.
func checkPushedImage(t *testing.T, u *Uploader, pinned string, arm, amd []byte) {
	t.Helper()
	ctx := context.Background()
	r, err := ref.New(pinned)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := u.Registry.ManifestGet(ctx, r)
	if err != nil {
		t.Fatalf("get %s: %v", pinned, err)
	}
	raw, _ := idx.RawBody()
	var index struct {
		Manifests []struct {
			Digest   string `json:"digest"`
			Platform struct {
				Architecture string `json:"architecture"`
			} `json:"platform"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &index); err != nil || len(index.Manifests) != 2 {
		t.Fatalf("index %s: %v", raw, err)
	}
	ca, _ := CABundle()
	for _, m := range index.Manifests {
		mm, err := u.Registry.ManifestGet(ctx, r.SetDigest(m.Digest))
		if err != nil {
			t.Fatal(err)
		}
		mraw, _ := mm.RawBody()
		var man struct {
			Config struct{ Digest string }   `json:"config"`
			Layers []struct{ Digest string } `json:"layers"`
		}
		_ = json.Unmarshal(mraw, &man)
		blob := func(d string) []byte {
			rd, err := u.Registry.BlobGet(ctx, r, descFor(d))
			if err != nil {
				t.Fatalf("blob %s: %v", d, err)
			}
			defer rd.Close()
			b, _ := io.ReadAll(rd)
			return b
		}
		var cfg struct {
			Architecture string `json:"architecture"`
			Config       struct {
				Entrypoint []string
				User       string
			} `json:"config"`
		}
		_ = json.Unmarshal(blob(man.Config.Digest), &cfg)
		if cfg.Architecture != m.Platform.Architecture || strings.Join(cfg.Config.Entrypoint, " ") != "/thub" || cfg.Config.User != "65532:65532" {
			t.Errorf("%s config %+v", m.Platform.Architecture, cfg)
		}
		files, modes, err := ImageLayerFiles(blob(man.Layers[0].Digest))
		if err != nil {
			t.Fatal(err)
		}
		agent := map[string][]byte{"arm64": arm, "amd64": amd}[m.Platform.Architecture]
		if !bytes.Equal(files["thub"], agent) || modes["thub"] != 0o755 {
			t.Errorf("%s layer: /thub is not the agent (mode %o)", m.Platform.Architecture, modes["thub"])
		}
		if !bytes.Equal(files[CAPath], ca) {
			t.Errorf("%s layer: no CA bundle at /%s", m.Platform.Architecture, CAPath)
		}
	}
}

func TestListsInTheAssetsBucket(t *testing.T) {
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := testenv.Name("assets")
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"photos/2024/\n", "photos/2024/\nphotos/2025/\n"} { // replaced in place
		url, err := PutList(ctx, client, bucket, "t1", "prefixes.txt", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if url != "s3://"+bucket+"/lists/t1/prefixes.txt" {
			t.Errorf("list URL %s", url)
		}
		got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("lists/t1/prefixes.txt")})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(got.Body)
		if string(b) != body {
			t.Errorf("list %q, want %q", b, body)
		}
	}
	sum := sha256.Sum256([]byte("old agent"))
	h := hex.EncodeToString(sum[:])
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(stack.AssetKey(h)), Body: strings.NewReader("old agent")}); err != nil {
		t.Fatal(err)
	}
	if err := Supersede(ctx, client, bucket, h); err != nil {
		t.Fatal(err)
	}
	tags, err := client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(stack.AssetKey(h))})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != stack.SupersededTag || aws.ToString(tags.TagSet[0].Value) != "true" {
		t.Errorf("superseded tag: %v %+v", err, tags)
	}
}

func descFor(d string) descriptor.Descriptor {
	return descriptor.Descriptor{Digest: digest.Digest(d)}
}

// TestAssetsDeployATask: the assets of a real control plane (KMS-encrypted bucket) feed
// an image task stack created from the uploaded template: its Lambda runs the uploaded
// zip and its copiers the pushed image.
func TestAssetsDeployATask(t *testing.T) {
	env := testenv.Load(t)
	cfg := env.AWSConfig(t)
	ctx := context.Background()
	cf := cloudformation.NewFromConfig(cfg)
	n, err := stack.DefaultNetwork(ctx, ec2.NewFromConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	name := testenv.Name("cp")
	params, err := stack.ControlPlaneParams{Name: name, Network: n}.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	cpOut := create(t, cf, "thub-"+name, &cloudformation.CreateStackInput{TemplateBody: aws.String(stack.ControlPlane().Body), Parameters: params})
	cp, err := stack.ParseControlPlaneOutputs(cpOut)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	t.Cleanup(func() {
		emptyBucket(client, cp.AssetsBucket)
		// What the control plane keeps on delete.
		_, _ = dynamodb.NewFromConfig(cfg).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(cp.TasksTable)})
	})

	// The control plane's repository, its registry played by the local one.
	rc, host, _, _ := ecrStandIn(t, env, cfg)
	repo := strings.SplitN(cp.AgentRepositoryURI, "/", 2)[1]
	arm, amd := imagetest.FakeAgent(21, 1<<20), imagetest.FakeAgent(22, 1<<20)
	u := &Uploader{S3: client, Bucket: cp.AssetsBucket, Region: cfg.Region, Registry: rc, Repository: host + "/" + repo}
	res, err := u.Upload(ctx, FS(agentsFS(arm, amd)))
	if err != nil {
		t.Fatal(err)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cp.AssetsBucket), Key: aws.String(stack.AssetKey(res.Agent.Arm64SHA256))})
	if err != nil || head.ServerSideEncryption != "aws:kms" {
		t.Errorf("the agent in the control plane's bucket: %v, encryption %v", err, head)
	}

	taskID := testenv.Name("t")
	list, err := PutList(ctx, client, cp.AssetsBucket, taskID, "images.txt", []byte("registry.example.com/app:v1\n"))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := stack.ImageTaskParams{ControlPlane: cp, Agent: res.Agent, TaskID: taskID,
		Env: map[string]string{"THUB_IMAGE_LIST": list, "THUB_IMAGE_DEST": "registry.example.com/mirror"}}.Parameters()
	if err != nil {
		t.Fatal(err)
	}
	out, err := stack.ParseImageTaskOutputs(create(t, cf, "thub-"+taskID, &cloudformation.CreateStackInput{
		TemplateURL: aws.String(res.Templates[stack.KindImageTask]), Parameters: tp, Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = dynamodb.NewFromConfig(cfg).DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(out.TableName)})
	})
	fn, err := lambda.NewFromConfig(cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(out.ListFunctionName)})
	if err != nil {
		t.Fatal(err)
	}
	zipBytes, _ := LambdaZip(arm)
	zs := sha256.Sum256(zipBytes)
	if aws.ToString(fn.Configuration.CodeSha256) != base64.StdEncoding.EncodeToString(zs[:]) {
		t.Errorf("the Lambda's code %s is not the uploaded zip", aws.ToString(fn.Configuration.CodeSha256))
	}
	td, err := ecs.NewFromConfig(cfg).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(out.CopierTaskDefinitionARN)})
	if err != nil || aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image) != res.Agent.Image {
		t.Errorf("the copiers run %v, not the pushed %s (%v)", td, res.Agent.Image, err)
	}
}

func create(t *testing.T, cf *cloudformation.Client, name string, in *cloudformation.CreateStackInput) []cfntypes.Output {
	t.Helper()
	in.StackName = aws.String(name)
	if _, err := cf.CreateStack(context.Background(), in); err != nil {
		t.Fatalf("create stack %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(name)})
	})
	w := cloudformation.NewStackCreateCompleteWaiter(cf, func(o *cloudformation.StackCreateCompleteWaiterOptions) { o.MinDelay = time.Second })
	out, err := w.WaitForOutput(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(name)}, 2*time.Minute)
	if err != nil {
		t.Fatalf("stack %s: %v", name, err)
	}
	return out.Stacks[0].Outputs
}

func emptyBucket(c *s3.Client, bucket string) {
	ctx := context.Background()
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return
	}
	for _, v := range out.Versions {
		_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId})
	}
}
