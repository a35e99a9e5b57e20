package assets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/errs"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/mediatype"
	"github.com/regclient/regclient/types/platform"
	"github.com/regclient/regclient/types/ref"
)

// The agent's image: per architecture one layer holding the CA bundle and /thub, run as
// an unprivileged user; an OCI index of linux/amd64 and linux/arm64. Tagged
// thub-<index digest hex>: the repository's tags are immutable and a new agent is a
// new tag (the repository keeps the newest thub-* images).

// Image is a built agent image, ready to push.
type Image struct {
	Index     Blob   // the OCI index
	Manifests []Blob // one per platform
	Blobs     []Blob // configs and layers
	Tag       string // thub-<hex of the index digest>
	Platforms []platform.Platform
}

// Blob is one piece of the image with its descriptor.
type Blob struct {
	Desc descriptor.Descriptor
	Data []byte
}

// CAPath is where the image keeps the CA bundle (SSL_CERT_FILE).
const CAPath = "etc/ssl/certs/ca-certificates.crt"

var imagePlatforms = map[string]platform.Platform{
	"amd64": {OS: "linux", Architecture: "amd64"},
	"arm64": {OS: "linux", Architecture: "arm64", Variant: "v8"},
}

// BuildImage builds the index for the agents of Arches: the same agents give the same
// digests.
func BuildImage(agents map[string][]byte) (*Image, error) {
	ca, err := CABundle()
	if err != nil {
		return nil, err
	}
	img := &Image{}
	var entries []descriptor.Descriptor
	for _, arch := range []string{"amd64", "arm64"} {
		bin, ok := agents[arch]
		if !ok {
			return nil, fmt.Errorf("build the agent image: no linux/%s agent", arch)
		}
		tarball, err := layerTar(ca, bin)
		if err != nil {
			return nil, err
		}
		gz, err := gzipped(tarball)
		if err != nil {
			return nil, err
		}
		layer := blob(mediatype.OCI1LayerGzip, gz)
		p := imagePlatforms[arch]
		cfg := map[string]any{
			"architecture": p.Architecture,
			"os":           p.OS,
			"config": map[string]any{
				"Entrypoint": []string{"/thub"},
				"User":       "65532:65532",
				"WorkingDir": "/tmp",
				"Env":        []string{"SSL_CERT_FILE=/" + CAPath},
			},
			"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest.FromBytes(tarball).String()}},
		}
		if p.Variant != "" {
			cfg["variant"] = p.Variant
		}
		cb, _ := json.Marshal(cfg)
		config := blob(mediatype.OCI1ImageConfig, cb)
		mb, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediatype.OCI1Manifest,
			"config": config.Desc, "layers": []descriptor.Descriptor{layer.Desc}})
		m := blob(mediatype.OCI1Manifest, mb)
		img.Blobs = append(img.Blobs, config, layer)
		img.Manifests = append(img.Manifests, m)
		d := m.Desc
		d.Platform = &p
		entries = append(entries, d)
		img.Platforms = append(img.Platforms, p)
	}
	ib, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediatype.OCI1ManifestList, "manifests": entries})
	img.Index = blob(mediatype.OCI1ManifestList, ib)
	img.Tag = "thub-" + img.Index.Desc.Digest.Encoded()
	return img, nil
}

func blob(mt string, b []byte) Blob {
	return Blob{Desc: descriptor.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}, Data: b}
}

// layerTar: fixed times and owners, directories first, nothing from the building
// machine but the agent itself.
func layerTar(ca, bin []byte) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	entries := []struct {
		name string
		mode int64
		data []byte
		dir  bool
	}{
		{"etc/", 0o755, nil, true},
		{"etc/ssl/", 0o755, nil, true},
		{"etc/ssl/certs/", 0o755, nil, true},
		{CAPath, 0o644, ca, false},
		{"thub", 0o755, bin, false},
		{"tmp/", 0o1777, nil, true},
	}
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: fixedTime, Format: tar.FormatUSTAR, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if e.dir {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("build the agent image layer: %w", err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("build the agent image layer: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("build the agent image layer: %w", err)
	}
	return b.Bytes(), nil
}

func gzipped(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression) // no name, no time: same bytes every time
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// pushImage pushes img to u.Repository unless its tag is already there; it returns
// repository@digest.
func (u *Uploader) pushImage(ctx context.Context, img *Image) (string, bool, error) {
	if u.Registry == nil || u.Repository == "" {
		return "", false, errors.New("push the agent image: no registry or repository")
	}
	repo := strings.TrimSuffix(u.Repository, "/")
	tagged, err := ref.New(repo + ":" + img.Tag)
	if err != nil {
		return "", false, fmt.Errorf("push the agent image: repository %q: %w", repo, err)
	}
	pinned := repo + "@" + img.Index.Desc.Digest.String()
	total := img.Index.Desc.Size
	for _, b := range append(append([]Blob{}, img.Blobs...), img.Manifests...) {
		total += b.Desc.Size
	}
	// The tag is the index's own digest: if it is there, all of the image is.
	m, err := u.Registry.ManifestHead(ctx, tagged, regclient.WithManifestRequireDigest())
	switch {
	case err == nil && m.GetDescriptor().Digest == img.Index.Desc.Digest:
		u.report(Event{Asset: "image", Done: total, Total: total, Skipped: true, Finished: true})
		return pinned, false, nil
	case err == nil:
		return "", false, fmt.Errorf("push the agent image: %s holds digest %s, not %s", tagged.CommonName(), m.GetDescriptor().Digest, img.Index.Desc.Digest)
	case !errors.Is(err, errs.ErrNotFound):
		return "", false, fmt.Errorf("look for the agent image %s: %w", tagged.CommonName(), err)
	}
	err = u.pushParts(ctx, tagged, img, total, true)
	if err != nil && strings.Contains(err.Error(), "BLOB_UNKNOWN") {
		// A registry can answer a blob HEAD yes and then not find that blob for a
		// manifest (the distribution registry does so when the same layer is pushed to
		// two repositories at once): push every blob again, without asking, once.
		err = u.pushParts(ctx, tagged, img, total, false)
	}
	if err != nil {
		return "", false, err
	}
	u.report(Event{Asset: "image", Done: total, Total: total, Finished: true})
	return pinned, true, nil
}

// pushParts pushes img's blobs (those the registry says it lacks, when ask is set),
// then its manifests, the index last.
func (u *Uploader) pushParts(ctx context.Context, tagged ref.Ref, img *Image, total int64, ask bool) error {
	var done int64
	for _, b := range img.Blobs {
		if ask {
			if _, err := u.Registry.BlobHead(ctx, tagged, b.Desc); err == nil {
				done += b.Desc.Size
				u.report(Event{Asset: "image", Done: done, Total: total})
				continue
			}
		}
		if _, err := u.Registry.BlobPut(ctx, tagged, b.Desc, bytes.NewReader(b.Data)); err != nil {
			return fmt.Errorf("push the agent image's blob %s: %w", b.Desc.Digest, err)
		}
		done += b.Desc.Size
		u.report(Event{Asset: "image", Done: done, Total: total})
	}
	for _, b := range img.Manifests {
		if err := putManifest(ctx, u.Registry, tagged.SetDigest(b.Desc.Digest.String()), b, true); err != nil {
			return err
		}
		done += b.Desc.Size
		u.report(Event{Asset: "image", Done: done, Total: total})
	}
	return putManifest(ctx, u.Registry, tagged, img.Index, false)
}

func putManifest(ctx context.Context, rc *regclient.RegClient, r ref.Ref, b Blob, child bool) error {
	m, err := manifest.New(manifest.WithRaw(b.Data), manifest.WithDesc(b.Desc))
	if err != nil {
		return fmt.Errorf("push the agent image: %w", err)
	}
	var opts []regclient.ManifestOpts
	if child {
		opts = append(opts, regclient.WithManifestChild())
	}
	if err := rc.ManifestPut(ctx, r, m, opts...); err != nil {
		return fmt.Errorf("push the agent image's manifest %s: %w", b.Desc.Digest, err)
	}
	return nil
}

// ImageLayerFiles lists a layer's files and their contents (tests, and checking a
// pushed image).
func ImageLayerFiles(gz []byte) (map[string][]byte, map[string]int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, nil, err
	}
	tr := tar.NewReader(zr)
	files, modes := map[string][]byte{}, map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, modes, nil
		}
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, nil, err
		}
		files[h.Name], modes[h.Name] = b, h.Mode
	}
}
