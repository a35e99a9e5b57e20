// Command s3bench prepares data for the S3 benchmark (build/scripts/bench-s3.sh) and is
// its "limit" client: plain parallel GET + PUT of known keys between two endpoints, with
// no listing, no comparison and no state, i.e. the throughput ceiling of the two gateways
// and this machine that a sync tool can approach. "list" is the same for a no-op re-sync:
// one flat listing of each side, both at once, with nothing compared or recorded.
//
//	s3bench seed  -endpoint URL -bucket B -prefix P -count N -size S [-from I] [-dirs D]
//	s3bench limit -src-endpoint URL -src-bucket B -dst-endpoint URL -dst-bucket B -prefix P -count N [-dirs D]
//	s3bench list  -src-endpoint URL -src-bucket B -dst-endpoint URL -dst-bucket B -prefix P [-dst-prefix Q] -count N
//
// Keys are P + name(i) for i in [from, from+count): "obj-%06d", or "%03d/obj-%06d" over
// D directories. Keys come from THUB_SRC_* / THUB_DST_* (seed uses THUB_SRC_*).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"transferhub/cloud/internal/benchtools/parallel"
)

func client(endpoint, side string, conc int) *s3.Client {
	cfg := aws.Config{Region: "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("THUB_"+side+"_ACCESS_KEY_ID"), os.Getenv("THUB_"+side+"_SECRET_ACCESS_KEY"), ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
		},
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 2*conc+16, 2*conc+16
		}),
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
}

func name(prefix string, i, dirs int) string {
	if dirs > 0 {
		return fmt.Sprintf("%s%03d/obj-%06d", prefix, i%dirs, i)
	}
	return fmt.Sprintf("%sobj-%06d", prefix, i)
}

const partSize = 8 << 20

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: s3bench seed|limit [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "seed: endpoint")
	bucket := fs.String("bucket", "", "seed: bucket")
	srcEP := fs.String("src-endpoint", "", "limit: source endpoint")
	srcB := fs.String("src-bucket", "", "limit: source bucket")
	dstEP := fs.String("dst-endpoint", "", "limit: destination endpoint")
	dstB := fs.String("dst-bucket", "", "limit: destination bucket")
	prefix := fs.String("prefix", "", "key prefix")
	dstPrefix := fs.String("dst-prefix", "", "list: destination key prefix")
	count := fs.Int("count", 0, "objects")
	from := fs.Int("from", 0, "first index")
	dirs := fs.Int("dirs", 0, "spread keys over this many directories")
	size := fs.Int64("size", 16<<10, "seed: object size")
	conc := fs.Int("concurrency", 64, "requests in flight")
	_ = fs.Parse(os.Args[2:])
	ctx := context.Background()
	start := time.Now()
	var err error
	switch os.Args[1] {
	case "seed":
		c := client(*endpoint, "SRC", *conc)
		err = parallel.For(*count, *conc, func(i int) error {
			key := name(*prefix, *from+i, *dirs)
			if *size > partSize {
				return seedMultipart(ctx, c, *bucket, key, *size)
			}
			body := make([]byte, *size)
			_, _ = rand.Read(body)
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: bytes.NewReader(body)})
			return err
		})
	case "limit":
		src, dst := client(*srcEP, "SRC", *conc), client(*dstEP, "DST", *conc)
		err = limit(ctx, src, dst, *srcB, *dstB, *prefix, *from, *count, *dirs, *conc)
	case "list":
		src, dst := client(*srcEP, "SRC", 2), client(*dstEP, "DST", 2)
		err = listBoth(ctx, src, dst, *srcB, *dstB, *prefix, *dstPrefix, *count)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "s3bench %s: %d objects in %.2fs\n", os.Args[1], *count, time.Since(start).Seconds())
}

// listBoth lists both sides at once and checks that each holds count keys.
func listBoth(ctx context.Context, src, dst *s3.Client, srcB, dstB, srcP, dstP string, count int) error {
	var n [2]int
	errs := make(chan error, 2)
	for i, side := range []struct {
		c         *s3.Client
		bucket, p string
	}{{src, srcB, srcP}, {dst, dstB, dstP}} {
		go func() {
			pg := s3.NewListObjectsV2Paginator(side.c, &s3.ListObjectsV2Input{Bucket: aws.String(side.bucket), Prefix: aws.String(side.p)})
			for pg.HasMorePages() {
				out, err := pg.NextPage(ctx)
				if err != nil {
					errs <- fmt.Errorf("list %s/%s: %w", side.bucket, side.p, err)
					return
				}
				n[i] += len(out.Contents)
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			return err
		}
	}
	if n[0] != count || n[1] != count {
		return fmt.Errorf("listed %d source and %d destination keys, want %d each", n[0], n[1], count)
	}
	return nil
}

func seedMultipart(ctx context.Context, c *s3.Client, bucket, key string, size int64) error {
	return multipart(ctx, c, bucket, key, size, 8, func(off, n int64) ([]byte, error) {
		body := make([]byte, n)
		_, _ = rand.Read(body)
		return body, nil
	})
}

// multipart uploads size bytes to bucket/key in partSize parts, conc at a time, each
// part's bytes from part (at offset off, n long).
func multipart(ctx context.Context, c *s3.Client, bucket, key string, size int64, conc int, part func(off, n int64) ([]byte, error)) error {
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	n := int((size + partSize - 1) / partSize)
	parts := make([]types.CompletedPart, n)
	err = parallel.For(n, conc, func(i int) error {
		off := int64(i) * partSize
		body, err := part(off, min(int64(partSize), size-off))
		if err != nil {
			return err
		}
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: cu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(body)})
		if err != nil {
			return err
		}
		parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	return err
}

// limit copies known keys: small objects GET into memory then PUT; large ones as
// parallel ranged GETs into UploadPart (8 MiB parts). Sizes come from the GET answer.
func limit(ctx context.Context, src, dst *s3.Client, sb, db, prefix string, from, count, dirs, conc int) error {
	// First byte ranges tell the size without a HEAD for small objects.
	type large struct {
		key  string
		size int64
	}
	var mu sync.Mutex
	var bigs []large
	err := parallel.For(count, conc, func(i int) error {
		key := name(prefix, from+i, dirs)
		out, err := src.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(sb), Key: aws.String(key), Range: aws.String(fmt.Sprintf("bytes=0-%d", partSize-1))})
		if err != nil {
			return fmt.Errorf("get %s: %w", key, err)
		}
		body, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			return err
		}
		total := int64(len(body))
		if cr := aws.ToString(out.ContentRange); cr != "" {
			fmt.Sscanf(cr[bytes.LastIndexByte([]byte(cr), '/')+1:], "%d", &total)
		}
		if total > int64(len(body)) {
			mu.Lock()
			bigs = append(bigs, large{key, total})
			mu.Unlock()
			return nil
		}
		_, err = dst.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(db), Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	})
	if err != nil {
		return err
	}
	for _, b := range bigs {
		err := multipart(ctx, dst, db, b.key, b.size, conc, func(off, n int64) ([]byte, error) {
			out, err := src.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(sb), Key: aws.String(b.key), Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1))})
			if err != nil {
				return nil, err
			}
			defer out.Body.Close()
			return io.ReadAll(out.Body)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
