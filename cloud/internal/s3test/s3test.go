// Package s3test helps integration tests of the S3 engine: buckets on the local S3
// gateways with cleanup, seeding, byte-for-byte and header-for-header verification, and a
// loopback fault-injecting proxy. Only tests import it.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/objstore"
	"transferhub/cloud/testenv"
)

// Gateway is one local S3 gateway ("A" or "B").
type Gateway struct {
	Name      string
	Endpoint  string
	AccessKey string
	SecretKey string
	Region    string
	DataDir   string
	Client    *s3.Client
	own       *own // set for a test's own gateway (OwnGateway)
}

// Gateways returns the two local gateways, failing (CI) or skipping when they are absent.
func Gateways(t testing.TB) (a, b *Gateway) {
	env := testenv.Load(t)
	env.Require(t, testenv.S3A, testenv.S3B)
	return gateway(env, "A"), gateway(env, "B")
}

// SrcDst returns the two local gateways with a fresh source bucket on A ("thub-src…")
// and a fresh destination bucket on B ("thub-dst…"): the usual set-up of a sync test.
func SrcDst(t testing.TB) (a, b *Gateway, src, dst string) {
	t.Helper()
	a, b = Gateways(t)
	return a, b, a.Bucket(t, "thub-src"), b.Bucket(t, "thub-dst")
}

func gateway(env *testenv.Env, n string) *Gateway {
	g := &Gateway{Name: n, Endpoint: env.Get("TH_S3_" + n + "_ENDPOINT"), AccessKey: env.Get("TH_S3_" + n + "_ACCESS_KEY"),
		SecretKey: env.Get("TH_S3_" + n + "_SECRET_KEY"), Region: env.Get("TH_S3_" + n + "_REGION"), DataDir: env.Get("TH_S3_" + n + "_DATA_DIR")}
	if g.Region == "" {
		g.Region = "us-east-1"
	}
	g.Client = g.ClientAt(g.Endpoint)
	return g
}

// ClientAt returns an SDK client with this gateway's keys at another endpoint (a proxy).
func (g *Gateway) ClientAt(endpoint string) *s3.Client {
	cfg := aws.Config{Region: g.Region, Credentials: credentials.NewStaticCredentialsProvider(g.AccessKey, g.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
}

// Config returns an objstore config for this gateway (optionally through a proxy).
func (g *Gateway) Config(endpoint string) objstore.S3Config {
	if endpoint == "" {
		endpoint = g.Endpoint
	}
	return objstore.S3Config{Provider: "other", Endpoint: endpoint, Region: g.Region, AccessKey: g.AccessKey, SecretKey: g.SecretKey}
}

// Open opens bucket/prefix on this gateway.
func (g *Gateway) Open(t testing.TB, bucket, prefix string, endpoint string) *objstore.S3 {
	t.Helper()
	loc, err := objstore.OpenS3(context.Background(), bucket, prefix, g.Config(endpoint))
	require.NoError(t, err)
	return loc
}

// RandName returns a unique lowercase name.
func RandName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Bucket creates a unique bucket, emptied and removed when the test ends.
func (g *Gateway) Bucket(t testing.TB, prefix string) string {
	t.Helper()
	name := RandName(prefix)
	_, err := g.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	require.NoError(t, err, "create bucket %s on gateway %s", name, g.Name)
	t.Cleanup(func() { g.DeleteBucket(name) })
	return name
}

// DeleteBucket aborts uploads, deletes every object and the bucket.
func (g *Gateway) DeleteBucket(name string) {
	ctx := context.Background()
	if ups, err := g.Client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(name)}); err == nil {
		for _, u := range ups.Uploads {
			_, _ = g.Client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(name), Key: u.Key, UploadId: u.UploadId})
		}
	}
	p := s3.NewListObjectsV2Paginator(g.Client, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			_, _ = g.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: o.Key})
		}
	}
	_, _ = g.Client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
}

// Put writes one object with optional headers.
func (g *Gateway) Put(t testing.TB, bucket, key string, body []byte, in *s3.PutObjectInput) {
	t.Helper()
	if in == nil {
		in = &s3.PutObjectInput{}
	}
	in.Bucket, in.Key, in.Body = aws.String(bucket), aws.String(key), bytes.NewReader(body)
	_, err := g.Client.PutObject(context.Background(), in)
	require.NoError(t, err, "put %q", key)
}

// PutMany writes n objects with the user metadata meta (nil: none), 16 at a time:
// object(i) gives the i-th one's key and body (it is called from several goroutines at
// once). A failed put is reported on the test's goroutine, after all have ended (a
// test may fail only from its own goroutine).
func (g *Gateway) PutMany(t testing.TB, bucket string, n int, meta map[string]string, object func(i int) (key string, body []byte)) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				key, body := object(i)
				_, err := g.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
					Body: bytes.NewReader(body), Metadata: meta})
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("put %q: %w", key, err))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

// PutMultipart uploads body in parts of partSize (as SDKs and CLIs do), so its ETag is
// a multipart ETag.
func (g *Gateway) PutMultipart(t testing.TB, bucket, key string, body []byte, partSize int, meta map[string]string) string {
	t.Helper()
	var sizes []int
	for off := 0; off < len(body); off += partSize {
		sizes = append(sizes, min(partSize, len(body)-off))
	}
	return g.PutParts(t, bucket, key, body, sizes, meta)
}

// PutParts uploads body in parts of the given sizes (which must add up to its length):
// a source whose part layout is not one part size.
func (g *Gateway) PutParts(t testing.TB, bucket, key string, body []byte, sizes []int, meta map[string]string) string {
	t.Helper()
	ctx := context.Background()
	cu, err := g.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ContentType: aws.String("application/x-test-multipart"), Metadata: meta})
	require.NoError(t, err)
	var parts []types.CompletedPart
	off := 0
	for i, size := range sizes {
		i, end := i+1, off+size
		up, err := g.Client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: cu.UploadId,
			PartNumber: aws.Int32(int32(i)), Body: bytes.NewReader(body[off:end])})
		require.NoError(t, err)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i)), ETag: up.ETag})
		off = end
	}
	require.Equal(t, len(body), off, "part sizes of %q", key)
	out, err := g.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	require.NoError(t, err)
	return strings.Trim(aws.ToString(out.ETag), `"`)
}

// PutCRC writes an object with a full-object CRC-64/NVME checksum, as Amazon S3 keeps
// for new objects: in one PUT, or in parts of partSize (> 0) with a FULL_OBJECT upload.
func (g *Gateway) PutCRC(t testing.TB, bucket, key string, body []byte, partSize int) {
	t.Helper()
	ctx := context.Background()
	if partSize <= 0 {
		_, err := g.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
		require.NoError(t, err, "put %q", key)
		return
	}
	cu, err := g.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme, ChecksumType: types.ChecksumTypeFullObject})
	require.NoError(t, err)
	var parts []types.CompletedPart
	for i, off := 1, 0; off < len(body); i, off = i+1, off+partSize {
		end := min(off+partSize, len(body))
		up, err := g.Client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: cu.UploadId,
			PartNumber: aws.Int32(int32(i)), Body: bytes.NewReader(body[off:end]), ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
		require.NoError(t, err)
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i)), ETag: up.ETag, ChecksumCRC64NVME: up.ChecksumCRC64NVME})
	}
	_, err = g.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}, ChecksumType: types.ChecksumTypeFullObject})
	require.NoError(t, err)
}

// CRC returns an object's full-object CRC-64/NVME ("" when it has none).
func (g *Gateway) CRC(t testing.TB, bucket, key string) string {
	t.Helper()
	out, err := g.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled})
	require.NoError(t, err, "head %q", key)
	return aws.ToString(out.ChecksumCRC64NVME)
}

// Tags returns an object's tags.
func (g *Gateway) Tags(t testing.TB, bucket, key string) map[string]string {
	t.Helper()
	out, err := g.Client.GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err, "tags of %q", key)
	tags := map[string]string{}
	for _, tag := range out.TagSet {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags
}

// Listed is one listed object.
type Listed struct {
	Key  string
	Size int64
	ETag string
}

// List lists a bucket under prefix (keys relative to it).
func (g *Gateway) List(t testing.TB, bucket, prefix string) []Listed {
	t.Helper()
	var out []Listed
	p := s3.NewListObjectsV2Paginator(g.Client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		for _, o := range page.Contents {
			out = append(out, Listed{Key: strings.TrimPrefix(aws.ToString(o.Key), prefix), Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Get reads a whole object.
func (g *Gateway) Get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := g.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err, "get %q", key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	return b
}

// Headers are the headers a copy must preserve.
type Headers struct {
	ContentType, CacheControl, ContentDisposition, ContentEncoding, ContentLanguage, Expires string
	Metadata                                                                                 map[string]string
}

// Head returns an object's preserved headers (engine bookkeeping metadata removed).
func (g *Gateway) Head(t testing.TB, bucket, key string) Headers {
	t.Helper()
	out, err := g.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err, "head %q", key)
	md := map[string]string{}
	for k, v := range out.Metadata {
		if !strings.HasPrefix(strings.ToLower(k), "thub-") {
			md[strings.ToLower(k)] = v
		}
	}
	return Headers{ContentType: aws.ToString(out.ContentType), CacheControl: aws.ToString(out.CacheControl),
		ContentDisposition: aws.ToString(out.ContentDisposition), ContentEncoding: aws.ToString(out.ContentEncoding),
		ContentLanguage: aws.ToString(out.ContentLanguage), Expires: aws.ToString(out.ExpiresString), Metadata: md}
}

// Corrupt overwrites bytes of an object's data on the gateway's disk (versitygw's posix
// backend keeps an object as a file, its ETag and checksums in extended attributes): the
// object keeps its size, ETag and checksum, and serves the corrupted bytes.
func (g *Gateway) Corrupt(t testing.TB, bucket, key string, off int64, data []byte) {
	t.Helper()
	require.NotEmpty(t, g.DataDir, "gateway %s: no data directory in the test environment", g.Name)
	f, err := os.OpenFile(filepath.Join(g.DataDir, bucket, filepath.FromSlash(key)), os.O_WRONLY, 0)
	require.NoError(t, err, "open the data of %q on gateway %s", key, g.Name)
	defer f.Close()
	_, err = f.WriteAt(data, off)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// Metadata returns an object's user metadata as stored, the engine's own keys included
// (keys lowercased).
func (g *Gateway) Metadata(t testing.TB, bucket, key string) map[string]string {
	t.Helper()
	out, err := g.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(t, err, "head %q", key)
	md := map[string]string{}
	for k, v := range out.Metadata {
		md[strings.ToLower(k)] = v
	}
	return md
}

// OpenUploads lists the open multipart uploads of a bucket.
func (g *Gateway) OpenUploads(t testing.TB, bucket string) []types.MultipartUpload {
	t.Helper()
	out, err := g.Client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	return out.Uploads
}

// Verify checks that dst (under dstPrefix) holds exactly the objects of src (under
// srcPrefix): same keys and sizes, same bytes, same headers and metadata. It compares
// ETags too when sameETags is set.
func Verify(t testing.TB, src *Gateway, srcBucket, srcPrefix string, dst *Gateway, dstBucket, dstPrefix string, sameETags bool) {
	t.Helper()
	verify(t, src, srcBucket, srcPrefix, dst, dstBucket, dstPrefix, sameETags, true)
}

// VerifyData is Verify without headers (for copies that went through a local directory,
// which keeps no S3 headers).
func VerifyData(t testing.TB, src *Gateway, srcBucket, srcPrefix string, dst *Gateway, dstBucket, dstPrefix string) {
	t.Helper()
	verify(t, src, srcBucket, srcPrefix, dst, dstBucket, dstPrefix, false, false)
}

func verify(t testing.TB, src *Gateway, srcBucket, srcPrefix string, dst *Gateway, dstBucket, dstPrefix string, sameETags, headers bool) {
	t.Helper()
	s, d := src.List(t, srcBucket, srcPrefix), dst.List(t, dstBucket, dstPrefix)
	require.Equal(t, len(s), len(d), "object count")
	for i := range s {
		require.Equal(t, s[i].Key, d[i].Key)
		require.Equal(t, s[i].Size, d[i].Size, "size of %q", s[i].Key)
		if sameETags {
			require.Equal(t, s[i].ETag, d[i].ETag, "ETag of %q", s[i].Key)
		}
		require.True(t, bytes.Equal(src.Get(t, srcBucket, srcPrefix+s[i].Key), dst.Get(t, dstBucket, dstPrefix+d[i].Key)), "bytes of %q", s[i].Key)
		if headers {
			require.Equal(t, src.Head(t, srcBucket, srcPrefix+s[i].Key), dst.Head(t, dstBucket, dstPrefix+d[i].Key), "headers of %q", s[i].Key)
		}
	}
}

// RandBytes returns n random bytes.
func RandBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Expires is a fixed HTTP date for header tests.
var Expires = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Key1024 is a 1,024-byte key with segments a file system accepts (≤ 255 bytes).
func Key1024(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < 1024-200 {
		b.WriteString(strings.Repeat("k", 199) + "/")
	}
	b.WriteString(strings.Repeat("z", 1024-b.Len()))
	return b.String()
}

// Must is a helper for setup errors.
func Must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	require.NoError(t, err, fmt.Sprintf(what, args...))
}
