package harness

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/platform"
	"github.com/regclient/regclient/types/ref"

	"transferhub/cloud/deploy/assets"
)

// agentFromAssets fetches a content-addressed agent from the assets bucket with the
// given credentials (the worker's role) and checks its SHA-256, as the user data does.
func (h *Harness) agentFromAssets(ctx context.Context, bucket, key, sum string, creds aws.CredentialsProvider) (string, error) {
	// One fetch at a time: two instances booting at once must not write the file one of
	// them already runs.
	h.fetchMu.Lock()
	defer h.fetchMu.Unlock()
	h.mu.Lock()
	if p, ok := h.agents["s3://"+bucket+"/"+key]; ok {
		h.mu.Unlock()
		return p, nil
	}
	h.mu.Unlock()
	cfg := h.cfg.AWS.Copy()
	cfg.Credentials = creds
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("fetch the agent s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	dir := filepath.Join(h.cfg.Dir, "agents", "assets-"+sum)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "thub")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	hash := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, hash), out.Body); err != nil {
		f.Close()
		return "", fmt.Errorf("fetch the agent s3://%s/%s: %w", bucket, key, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != sum {
		return "", fmt.Errorf("the agent s3://%s/%s has SHA-256 %s, not %s (the user data would refuse it)", bucket, key, got, sum)
	}
	if err := checkELF(path); err != nil {
		return "", fmt.Errorf("the agent s3://%s/%s: %w", bucket, key, err)
	}
	h.mu.Lock()
	h.agents["s3://"+bucket+"/"+key] = path
	h.mu.Unlock()
	return path, nil
}

// imageAgent is the agent taken from the task's image for this machine's platform.
type imageAgent struct {
	root       string   // the layer, unpacked
	entrypoint []string // the image's entrypoint, as paths under root
	env        []string // the image's environment, paths under root
}

// agentFromImage pulls the task's image (as Fargate does, with an ECR token got with the
// execution role) and unpacks this machine's platform.
func (h *Harness) agentFromImage(ctx context.Context, image string, execCreds aws.CredentialsProvider) (*imageAgent, error) {
	h.fetchMu.Lock()
	defer h.fetchMu.Unlock()
	h.mu.Lock()
	if a, ok := h.images[image]; ok {
		h.mu.Unlock()
		return a, nil
	}
	h.mu.Unlock()
	r, err := ref.New(image)
	if err != nil {
		return nil, fmt.Errorf("the task's image %q: %w", image, err)
	}
	cfg := h.cfg.AWS.Copy()
	cfg.Credentials = execCreds
	tok, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("pull %s: registry login (ecr:GetAuthorizationToken with the execution role): %w", image, err)
	}
	if len(tok.AuthorizationData) == 0 {
		return nil, fmt.Errorf("pull %s: no ECR token", image)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return nil, fmt.Errorf("pull %s: the ECR token: %w", image, err)
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	host := config.Host{Name: r.Registry, User: user, Pass: pass}
	if slices.Contains(h.cfg.InsecureRegistries, r.Registry) {
		host.TLS = config.TLSDisabled
	}
	rc := regclient.New(regclient.WithConfigHost(host))
	m, err := rc.ManifestGet(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", image, err)
	}
	want := platform.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if mi, ok := m.(manifest.Indexer); ok {
		d, err := manifest.GetPlatformDesc(mi.(manifest.Manifest), &want)
		if err != nil {
			return nil, fmt.Errorf("pull %s: no image for linux/%s: %w", image, runtime.GOARCH, err)
		}
		if m, err = rc.ManifestGet(ctx, r.SetDigest(d.Digest.String())); err != nil {
			return nil, fmt.Errorf("pull %s for linux/%s: %w", image, runtime.GOARCH, err)
		}
	}
	im, ok := m.(manifest.Imager)
	if !ok {
		return nil, fmt.Errorf("pull %s: not an image", image)
	}
	cd, err := im.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", image, err)
	}
	cb, err := rc.BlobGet(ctx, r, cd)
	if err != nil {
		return nil, fmt.Errorf("pull %s: config: %w", image, err)
	}
	var ic struct {
		Config struct {
			Entrypoint []string `json:"Entrypoint"`
			Env        []string `json:"Env"`
		} `json:"config"`
	}
	body, err := io.ReadAll(cb)
	cb.Close()
	if err != nil || json.Unmarshal(body, &ic) != nil {
		return nil, fmt.Errorf("pull %s: unreadable config", image)
	}
	layers, err := im.GetLayers()
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", image, err)
	}
	root := filepath.Join(h.cfg.Dir, "agents", "image-"+strings.TrimPrefix(m.GetDescriptor().Digest.Encoded(), "sha256:")[:16])
	if err := unpackLayers(ctx, rc, r, image, layers, root); err != nil {
		return nil, err
	}
	a := &imageAgent{root: root}
	for _, e := range ic.Config.Entrypoint {
		a.entrypoint = append(a.entrypoint, under(root, e))
	}
	for _, e := range ic.Config.Env {
		k, v, _ := strings.Cut(e, "=")
		if strings.HasPrefix(v, "/") {
			v = under(root, v)
		}
		a.env = append(a.env, k+"="+v)
	}
	if len(a.entrypoint) > 0 {
		if err := checkELF(a.entrypoint[0]); err != nil {
			return nil, fmt.Errorf("the entrypoint of %s: %w", image, err)
		}
	}
	h.mu.Lock()
	h.images[image] = a
	h.mu.Unlock()
	return a, nil
}

// unpackLayers writes the layers' files under root, in order (a later layer's file
// replaces an earlier one's).
func unpackLayers(ctx context.Context, rc *regclient.RegClient, r ref.Ref, image string, layers []descriptor.Descriptor, root string) error {
	for _, l := range layers {
		br, err := rc.BlobGet(ctx, r, l)
		if err != nil {
			return fmt.Errorf("pull %s: layer %s: %w", image, l.Digest, err)
		}
		gz, err := io.ReadAll(br)
		br.Close()
		if err != nil {
			return fmt.Errorf("pull %s: layer %s: %w", image, l.Digest, err)
		}
		files, modes, err := assets.ImageLayerFiles(gz)
		if err != nil {
			return fmt.Errorf("pull %s: layer %s: %w", image, l.Digest, err)
		}
		for name, data := range files {
			if strings.HasSuffix(name, "/") {
				continue
			}
			p := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, data, os.FileMode(modes[name]&0o777)); err != nil {
				return err
			}
		}
	}
	return nil
}

// under maps an absolute path in the image to the unpacked layer.
func under(root, p string) string {
	if !strings.HasPrefix(p, "/") {
		return p
	}
	return filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(p, "/")))
}

// checkELF makes sure a file is a Linux executable for this machine.
func checkELF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := make([]byte, 20)
	if _, err := io.ReadFull(f, hdr); err != nil || string(hdr[:4]) != "\x7fELF" {
		return fmt.Errorf("%s is not a Linux executable", filepath.Base(path))
	}
	m := uint16(hdr[18]) | uint16(hdr[19])<<8
	want := map[string]uint16{"amd64": 62, "arm64": 183}[runtime.GOARCH]
	if want != 0 && m != want {
		return fmt.Errorf("%s is built for another machine (ELF machine %d, this one is %s)", filepath.Base(path), m, runtime.GOARCH)
	}
	return nil
}
