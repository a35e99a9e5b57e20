package testenv_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/scheme/reg"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/errs"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/mediatype"
	v1 "github.com/regclient/regclient/types/oci/v1"
	"github.com/regclient/regclient/types/platform"
	"github.com/regclient/regclient/types/ref"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

// testImage is a one-layer OCI image built in memory (no network, no Docker).
type testImage struct {
	layer, config, manifest []byte
	layerDesc, configDesc   descriptor.Descriptor
}

func newTestImage(t *testing.T, content string) testImage {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}))
	_, err := tw.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	var gzBuf bytes.Buffer
	gw := gzip.NewWriter(&gzBuf)
	_, err = gw.Write(tarBuf.Bytes())
	require.NoError(t, err)
	require.NoError(t, gw.Close())

	img := testImage{layer: gzBuf.Bytes()}
	img.layerDesc = descriptor.Descriptor{MediaType: mediatype.OCI1LayerGzip, Digest: digest.FromBytes(img.layer), Size: int64(len(img.layer))}
	img.config, err = json.Marshal(v1.Image{
		Platform: platform.Platform{OS: "linux", Architecture: "amd64"},
		Config:   v1.ImageConfig{Cmd: []string{"/hello"}},
		RootFS:   v1.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(tarBuf.Bytes())}},
	})
	require.NoError(t, err)
	img.configDesc = descriptor.Descriptor{MediaType: mediatype.OCI1ImageConfig, Digest: digest.FromBytes(img.config), Size: int64(len(img.config))}
	img.manifest, err = json.Marshal(v1.Manifest{Versioned: v1.ManifestSchemaVersion, MediaType: mediatype.OCI1Manifest,
		Config: img.configDesc, Layers: []descriptor.Descriptor{img.layerDesc}})
	require.NoError(t, err)
	return img
}

func (img testImage) push(ctx context.Context, t *testing.T, rc *regclient.RegClient, r ref.Ref) digest.Digest {
	t.Helper()
	_, err := rc.BlobPut(ctx, r, img.layerDesc, bytes.NewReader(img.layer))
	require.NoError(t, err, "put layer to %s", r.CommonName())
	_, err = rc.BlobPut(ctx, r, img.configDesc, bytes.NewReader(img.config))
	require.NoError(t, err, "put config to %s", r.CommonName())
	m, err := manifest.New(manifest.WithRaw(img.manifest))
	require.NoError(t, err)
	require.NoError(t, rc.ManifestPut(ctx, r, m), "put manifest to %s", r.CommonName())
	return m.GetDescriptor().Digest
}

// registryClient knows both test registries: the open one over plain HTTP, the
// authenticated one over TLS with the test CA and the ECR-like user AWS.
func registryClient(t *testing.T, env *testenv.Env, pass string) *regclient.RegClient {
	t.Helper()
	ca, err := os.ReadFile(env.Get("TH_REG_AUTH_CA"))
	require.NoError(t, err, "read TH_REG_AUTH_CA")
	return regclient.New(
		regclient.WithConfigHost(
			config.Host{Name: env.Get(string(testenv.RegOpen)), TLS: config.TLSDisabled},
			config.Host{Name: env.Get(string(testenv.RegAuth)), TLS: config.TLSEnabled, RegCert: string(ca),
				User: env.Get("TH_REG_AUTH_USER"), Pass: pass},
		),
		regclient.WithRegOpts(reg.WithRetryLimit(1)),
	)
}

// TestRegistriesPushCopyPull pushes an image to the open registry, copies it with
// regclient to the authenticated TLS registry and back, and pulls it again: digests and
// bytes are identical at every step.
func TestRegistriesPushCopyPull(t *testing.T) {
	ctx := context.Background()
	env := testenv.Load(t)
	env.Require(t, testenv.RegOpen, testenv.RegAuth)
	rc := registryClient(t, env, env.Get("TH_REG_AUTH_PASS"))
	defer rc.Close(ctx, ref.Ref{})

	repo := testenv.Name("th-smoke/img")
	img := newTestImage(t, "hello from "+repo)
	src, err := ref.New(env.Get(string(testenv.RegOpen)) + "/" + repo + ":v1")
	require.NoError(t, err)
	dgst := img.push(ctx, t, rc, src)

	dst, err := ref.New(env.Get(string(testenv.RegAuth)) + "/" + repo + ":v1")
	require.NoError(t, err)
	require.NoError(t, rc.ImageCopy(ctx, src, dst, regclient.ImageWithDigestTags(), regclient.ImageWithReferrers()), "copy open -> auth")

	back, err := ref.New(env.Get(string(testenv.RegOpen)) + "/" + repo + "-back:v1")
	require.NoError(t, err)
	require.NoError(t, rc.ImageCopy(ctx, dst, back), "copy auth -> open")

	for _, r := range []ref.Ref{dst, back} {
		m, err := rc.ManifestGet(ctx, r)
		require.NoError(t, err, "pull manifest %s", r.CommonName())
		require.Equal(t, dgst, m.GetDescriptor().Digest, r.CommonName())
		raw, err := m.RawBody()
		require.NoError(t, err)
		require.Equal(t, img.manifest, raw)
		br, err := rc.BlobGet(ctx, r, img.layerDesc)
		require.NoError(t, err, "pull layer %s", r.CommonName())
		layer, err := io.ReadAll(br)
		require.NoError(t, br.Close())
		require.NoError(t, err)
		require.Equal(t, img.layer, layer)
	}
	tags, err := rc.TagList(ctx, dst)
	require.NoError(t, err)
	require.Contains(t, tags.Tags, "v1")
}

// TestRegistryAuthRefusesWrongPassword: the authenticated registry really checks.
func TestRegistryAuthRefusesWrongPassword(t *testing.T) {
	ctx := context.Background()
	env := testenv.Load(t)
	env.Require(t, testenv.RegAuth)
	rc := registryClient(t, env, "wrong-password")
	r, err := ref.New(env.Get(string(testenv.RegAuth)) + "/" + testenv.Name("th-smoke/img") + ":v1")
	require.NoError(t, err)
	err = newTestImage(t, "x").pushErr(ctx, rc, r)
	require.ErrorIs(t, err, errs.ErrHTTPUnauthorized, "push with a wrong password")
}

func (img testImage) pushErr(ctx context.Context, rc *regclient.RegClient, r ref.Ref) error {
	_, err := rc.BlobPut(ctx, r, img.layerDesc, bytes.NewReader(img.layer))
	return err
}
