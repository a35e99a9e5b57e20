// Package assets puts what the stacks run where they fetch it, skipping whatever is
// already there: the agent binaries (linux/arm64 and amd64) and the Lambda zip,
// content-addressed in the control plane's assets bucket; the task templates (their
// stacks are created from a TemplateURL); the agent's OCI image (amd64 + arm64 index,
// one reproducible layer) in the control plane's repository. No Docker: the image is
// built here and pushed with regclient. A re-deploy of the same agent uploads nothing.
package assets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/regclient/regclient"

	"transferhub/cloud/stack"
)

// The architectures of the agent (GOARCH names).
var Arches = []string{"arm64", "amd64"}

// maxAgent bounds an agent binary read into memory.
const maxAgent = 512 << 20

// Source gives the static linux agent for an architecture ("arm64", "amd64").
type Source interface {
	Agent(arch string) (io.ReadCloser, error)
}

type dirSource string

// Dir reads <dir>/thub-linux-<arch>, as `make build-thub` writes them to build/bin.
func Dir(dir string) Source { return dirSource(dir) }

func (d dirSource) Agent(arch string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(string(d), "thub-linux-"+arch))
}

type fsSource struct{ fsys fs.FS }

// FS reads thub-linux-<arch> at the root of fsys (the desktop app embeds the agents).
func FS(fsys fs.FS) Source { return fsSource{fsys} }

func (f fsSource) Agent(arch string) (io.ReadCloser, error) { return f.fsys.Open("thub-linux-" + arch) }

// S3API is what the upload needs of the S3 client of the control plane's Region.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Event is the progress of one asset: bytes sent so far of Total, then Finished (or
// Skipped: it was already there).
type Event struct {
	Asset    string // "agent linux/arm64", "Lambda zip", "template s3-task", "image", ...
	Done     int64
	Total    int64
	Skipped  bool
	Finished bool
}

// Uploader uploads the assets of one control plane.
type Uploader struct {
	S3     S3API
	Bucket string // the control plane's assets bucket
	Region string // its Region (for the templates' URLs)
	// Registry reaches the control plane's repository (ECRClient builds one);
	// Repository is that repository: host/name (ControlPlaneOutputs.AgentRepositoryURI).
	Registry   *regclient.RegClient
	Repository string
	// Progress, when set, gets every asset's events (from one goroutine at a time).
	Progress func(Event)
}

// Result is what the stacks need of the upload.
type Result struct {
	Agent stack.AgentAssets
	// Templates are the TemplateURLs of the task templates.
	Templates map[stack.Kind]string
	// Uploaded and Skipped name what went up and what was there already (keys, the
	// image reference).
	Uploaded, Skipped []string
}

// Upload puts the agents, the Lambda zip, the task templates and the image in place.
func (u *Uploader) Upload(ctx context.Context, src Source) (Result, error) {
	res := Result{Templates: map[stack.Kind]string{}}
	agents := map[string][]byte{}
	for _, arch := range Arches {
		b, err := ReadAgent(src, arch)
		if err != nil {
			return res, err
		}
		agents[arch] = b
		sum, err := u.put(ctx, &res, "agent linux/"+arch, b, "application/octet-stream")
		if err != nil {
			return res, err
		}
		if arch == "arm64" {
			res.Agent.Arm64SHA256 = sum
		} else {
			res.Agent.Amd64SHA256 = sum
		}
	}
	zip, err := LambdaZip(agents["arm64"])
	if err != nil {
		return res, err
	}
	if res.Agent.LambdaSHA256, err = u.put(ctx, &res, "Lambda zip", zip, "application/zip"); err != nil {
		return res, err
	}
	for _, tpl := range []stack.Template{stack.S3Task(), stack.ImageTask()} {
		if res.Templates[tpl.Kind], err = u.putTemplate(ctx, &res, tpl); err != nil {
			return res, err
		}
	}
	img, err := BuildImage(agents)
	if err != nil {
		return res, err
	}
	ref, pushed, err := u.pushImage(ctx, img)
	if err != nil {
		return res, err
	}
	res.Agent.Image = ref
	if pushed {
		res.Uploaded = append(res.Uploaded, ref)
	} else {
		res.Skipped = append(res.Skipped, ref)
	}
	return res, nil
}

// PutTemplate puts one task template in place, as Upload does (a dry run's change set
// reads it from there), and returns its TemplateURL.
func (u *Uploader) PutTemplate(ctx context.Context, tpl stack.Template) (string, error) {
	return u.putTemplate(ctx, &Result{}, tpl)
}

func (u *Uploader) putTemplate(ctx context.Context, res *Result, tpl stack.Template) (string, error) {
	sum, err := u.put(ctx, res, "template "+string(tpl.Kind), []byte(tpl.Body), "text/yaml")
	if err != nil {
		return "", err
	}
	return stack.TemplateURL(u.Bucket, u.Region, stack.AssetKey(sum)), nil
}

// ReadAgent reads the linux/arch agent of src and checks that it looks like one.
func ReadAgent(src Source, arch string) ([]byte, error) {
	r, err := src.Agent(arch)
	if err != nil {
		return nil, fmt.Errorf("the linux/%s agent: %w (make build-thub writes build/bin/thub-linux-%s)", arch, err, arch)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxAgent+1))
	if err != nil {
		return nil, fmt.Errorf("read the linux/%s agent: %w", arch, err)
	}
	if len(b) > maxAgent {
		return nil, fmt.Errorf("the linux/%s agent is larger than %d MiB: not the agent?", arch, maxAgent>>20)
	}
	if !isELF(b) {
		return nil, fmt.Errorf("the linux/%s agent is not a Linux executable (ELF)", arch)
	}
	return b, nil
}

func isELF(b []byte) bool { return len(b) > 4 && string(b[:4]) == "\x7fELF" }

// put stores body content-addressed unless it is there; it returns the SHA-256.
func (u *Uploader) put(ctx context.Context, res *Result, asset string, body []byte, contentType string) (string, error) {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	key := stack.AssetKey(h)
	_, err := u.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(key)})
	switch {
	case err == nil: // content-addressed: the same key holds the same bytes
		u.report(Event{Asset: asset, Done: int64(len(body)), Total: int64(len(body)), Skipped: true, Finished: true})
		res.Skipped = append(res.Skipped, key)
		return h, nil
	case !notFound(err):
		return "", fmt.Errorf("look for %s (s3://%s/%s): %w", asset, u.Bucket, key, err)
	}
	pr := &progressReader{r: bytes.NewReader(body), asset: asset, total: int64(len(body)), report: u.report}
	_, err = u.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(key), Body: pr,
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String(contentType),
		// S3 checks the bytes it stored against the key's own hash.
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	if err != nil {
		return "", fmt.Errorf("upload %s to s3://%s/%s: %w", asset, u.Bucket, key, err)
	}
	u.report(Event{Asset: asset, Done: int64(len(body)), Total: int64(len(body)), Finished: true})
	res.Uploaded = append(res.Uploaded, key)
	return h, nil
}

func notFound(err error) bool {
	var nf *s3types.NotFound
	var ae smithy.APIError
	return errors.As(err, &nf) || (errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey"))
}

func (u *Uploader) report(e Event) {
	if u.Progress != nil {
		u.Progress(e)
	}
}

// progressReader reports bytes as the SDK reads the body. The SDK may read it once to
// sign it and seek back: a rewind starts the count again.
type progressReader struct {
	r      *bytes.Reader
	asset  string
	total  int64
	done   int64
	report func(Event)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.done += int64(n)
		p.report(Event{Asset: p.asset, Done: p.done, Total: p.total})
	}
	return n, err
}

func (p *progressReader) Seek(off int64, whence int) (int64, error) {
	pos, err := p.r.Seek(off, whence)
	p.done = pos
	return pos, err
}
