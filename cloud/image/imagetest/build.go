// Package imagetest builds container images for tests without any network or image
// source: layers are deterministic pseudo-random bytes streamed straight into a
// registry, so a 150 MiB layer costs no memory. Only tests and benchmarks use it.
package imagetest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/mediatype"
	"github.com/regclient/regclient/types/platform"
	"github.com/regclient/regclient/types/ref"
)

// Spec describes an image to build.
type Spec struct {
	// Platforms: empty builds one image manifest (linux/amd64); otherwise an OCI index
	// with one manifest per platform ("linux/amd64", "linux/arm64/v8").
	Platforms []string
	// Layers are the layer sizes of each platform's image.
	Layers []int64
	// Seed varies the content: the same spec and seed give the same digests.
	Seed uint64
	// Created goes into each config (the "N most recent tags" filter reads it).
	Created time.Time
}

// Blob is a pushed blob.
type Blob struct {
	Digest string
	Size   int64
}

// Image is what was pushed.
type Image struct {
	Ref       string   // as pushed (registry/repo:tag)
	Digest    string   // top-level manifest or index digest
	Manifests []string // platform manifest digests (index only)
	Blobs     []Blob   // configs and layers
}

// Push builds spec and pushes it to refStr.
func Push(ctx context.Context, rc *regclient.RegClient, refStr string, spec Spec) (Image, error) {
	r, err := ref.New(refStr)
	if err != nil {
		return Image{}, err
	}
	out := Image{Ref: refStr}
	if spec.Created.IsZero() {
		spec.Created = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if len(spec.Platforms) == 0 {
		d, err := pushManifest(ctx, rc, r, spec, "linux/amd64", 0, &out, true)
		if err != nil {
			return out, err
		}
		out.Digest = d.Digest.String()
		return out, nil
	}
	var dl []descriptor.Descriptor
	for i, p := range spec.Platforms {
		d, err := pushManifest(ctx, rc, r, spec, p, uint64(i), &out, false)
		if err != nil {
			return out, err
		}
		dl = append(dl, d)
		out.Manifests = append(out.Manifests, d.Digest.String())
	}
	idx := map[string]any{"schemaVersion": 2, "mediaType": mediatype.OCI1ManifestList, "manifests": dl}
	d, err := putManifest(ctx, rc, r, mediatype.OCI1ManifestList, idx)
	if err != nil {
		return out, err
	}
	out.Digest = d.Digest.String()
	return out, nil
}

func pushManifest(ctx context.Context, rc *regclient.RegClient, r ref.Ref, spec Spec, plat string, pi uint64, out *Image, tagged bool) (descriptor.Descriptor, error) {
	parts := strings.Split(plat, "/")
	var layers []descriptor.Descriptor
	var diffIDs []string
	for li, size := range spec.Layers {
		seed := spec.Seed*1_000_003 + pi*1009 + uint64(li)
		d, err := PushBlob(ctx, rc, r, seed, size)
		if err != nil {
			return d, err
		}
		d.MediaType = mediatype.OCI1Layer
		layers = append(layers, d)
		diffIDs = append(diffIDs, d.Digest.String())
		out.Blobs = append(out.Blobs, Blob{d.Digest.String(), d.Size})
	}
	cfg := map[string]any{
		"created":      spec.Created.UTC().Format(time.RFC3339Nano),
		"os":           parts[0],
		"architecture": parts[1],
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"config":       map[string]any{"Labels": map[string]string{"transferhub.test.seed": fmt.Sprint(spec.Seed)}},
	}
	if len(parts) > 2 {
		cfg["variant"] = parts[2]
	}
	cb, _ := json.Marshal(cfg)
	cd := descriptor.Descriptor{MediaType: mediatype.OCI1ImageConfig, Digest: digest.FromBytes(cb), Size: int64(len(cb))}
	if _, err := rc.BlobPut(ctx, r, cd, strings.NewReader(string(cb))); err != nil {
		return cd, fmt.Errorf("push config: %w", err)
	}
	out.Blobs = append(out.Blobs, Blob{cd.Digest.String(), cd.Size})
	m := map[string]any{"schemaVersion": 2, "mediaType": mediatype.OCI1Manifest, "config": cd, "layers": layers}
	target := r
	raw, _ := json.Marshal(m)
	d := descriptor.Descriptor{MediaType: mediatype.OCI1Manifest, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	if !tagged {
		target = r.SetDigest(d.Digest.String())
	}
	mm, err := manifest.New(manifest.WithRaw(raw), manifest.WithDesc(d))
	if err != nil {
		return d, err
	}
	if err := rc.ManifestPut(ctx, target, mm, manifestChild(!tagged)...); err != nil {
		return d, fmt.Errorf("push manifest %s: %w", target.CommonName(), err)
	}
	p := parsePlatform(parts)
	d.Platform = &p
	return d, nil
}

func manifestChild(child bool) []regclient.ManifestOpts {
	if child {
		return []regclient.ManifestOpts{regclient.WithManifestChild()}
	}
	return nil
}

func putManifest(ctx context.Context, rc *regclient.RegClient, r ref.Ref, mt string, v any) (descriptor.Descriptor, error) {
	raw, _ := json.Marshal(v)
	d := descriptor.Descriptor{MediaType: mt, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	m, err := manifest.New(manifest.WithRaw(raw), manifest.WithDesc(d))
	if err != nil {
		return d, err
	}
	if err := rc.ManifestPut(ctx, r, m); err != nil {
		return d, fmt.Errorf("push %s: %w", r.CommonName(), err)
	}
	return d, nil
}

// PushBlob streams size pseudo-random bytes from seed into the repository of r.
func PushBlob(ctx context.Context, rc *regclient.RegClient, r ref.Ref, seed uint64, size int64) (descriptor.Descriptor, error) {
	h := sha256.New()
	if _, err := io.Copy(h, Data(seed, size)); err != nil {
		return descriptor.Descriptor{}, err
	}
	d := descriptor.Descriptor{MediaType: mediatype.OCI1Layer, Digest: digest.NewDigest(digest.SHA256, h), Size: size}
	if _, err := rc.BlobPut(ctx, r, d, Data(seed, size)); err != nil {
		return d, fmt.Errorf("push blob %s: %w", d.Digest, err)
	}
	return d, nil
}

// Data is a reader of size deterministic pseudo-random bytes.
func Data(seed uint64, size int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	copy(key[8:], "transfer-hub-test-image-data")
	return io.LimitReader(rand.NewChaCha8(key), size)
}

func parsePlatform(parts []string) platform.Platform {
	p := platform.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p
}

// Referrer is an artifact pushed with a subject.
type Referrer struct {
	Digest       string
	ArtifactType string
}

// PushReferrer pushes an artifact manifest (a signature, an SBOM) whose subject is the
// image at subjectDigest in the repository of repoRef. Registries without the OCI 1.1
// referrers API get the tag-schema fallback index (regclient maintains it).
func PushReferrer(ctx context.Context, rc *regclient.RegClient, repoRef, subjectDigest, artifactType string, payload []byte) (Referrer, error) {
	r, err := ref.New(repoRef)
	if err != nil {
		return Referrer{}, err
	}
	subj, err := rc.ManifestHead(ctx, r.SetDigest(subjectDigest), regclient.WithManifestRequireDigest())
	if err != nil {
		return Referrer{}, fmt.Errorf("subject %s: %w", subjectDigest, err)
	}
	empty := []byte("{}")
	ed := descriptor.Descriptor{MediaType: mediatype.OCI1Empty, Digest: digest.FromBytes(empty), Size: 2}
	if _, err := rc.BlobPut(ctx, r, ed, strings.NewReader("{}")); err != nil {
		return Referrer{}, err
	}
	pd := descriptor.Descriptor{MediaType: artifactType, Digest: digest.FromBytes(payload), Size: int64(len(payload))}
	if _, err := rc.BlobPut(ctx, r, pd, strings.NewReader(string(payload))); err != nil {
		return Referrer{}, err
	}
	sd := subj.GetDescriptor()
	m := map[string]any{
		"schemaVersion": 2, "mediaType": mediatype.OCI1Manifest, "artifactType": artifactType,
		"config": ed, "layers": []descriptor.Descriptor{pd},
		"subject": descriptor.Descriptor{MediaType: sd.MediaType, Digest: sd.Digest, Size: sd.Size},
	}
	raw, _ := json.Marshal(m)
	d := descriptor.Descriptor{MediaType: mediatype.OCI1Manifest, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	mm, err := manifest.New(manifest.WithRaw(raw), manifest.WithDesc(d))
	if err != nil {
		return Referrer{}, err
	}
	if err := rc.ManifestPut(ctx, r.SetDigest(d.Digest.String()), mm); err != nil {
		return Referrer{}, fmt.Errorf("push referrer: %w", err)
	}
	return Referrer{Digest: d.Digest.String(), ArtifactType: artifactType}, nil
}

// PushDigestTag pushes a cosign-style signature under the tag sha256-<hex>.sig (the
// pre-OCI 1.1 convention, no subject field) and returns its manifest digest.
func PushDigestTag(ctx context.Context, rc *regclient.RegClient, repoRef, subjectDigest string, payload []byte) (string, error) {
	r, err := ref.New(repoRef)
	if err != nil {
		return "", err
	}
	cfg := []byte(`{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}`)
	cd := descriptor.Descriptor{MediaType: mediatype.OCI1ImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
	if _, err := rc.BlobPut(ctx, r, cd, strings.NewReader(string(cfg))); err != nil {
		return "", err
	}
	pd := descriptor.Descriptor{MediaType: "application/vnd.dev.cosign.simplesigning.v1+json", Digest: digest.FromBytes(payload), Size: int64(len(payload))}
	if _, err := rc.BlobPut(ctx, r, pd, strings.NewReader(string(payload))); err != nil {
		return "", err
	}
	tag := strings.Replace(subjectDigest, ":", "-", 1) + ".sig"
	d, err := putManifest(ctx, rc, r.SetTag(tag), mediatype.OCI1Manifest, map[string]any{
		"schemaVersion": 2, "mediaType": mediatype.OCI1Manifest, "config": cd, "layers": []descriptor.Descriptor{pd},
	})
	return d.Digest.String(), err
}

// FakeAgent stands in for the thub agent in an image or an assets bucket: an
// ELF-looking executable of n pseudo-random bytes (another seed, other bytes).
func FakeAgent(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, "\x7fELF")
	return b
}
