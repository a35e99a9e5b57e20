package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A cloud task's lists (a prefix list, image lists) live in the cloud, in the control
// plane's assets bucket, editable without a redeploy: a process's environment cannot
// hold them (Lambda's is capped at 4 KB). So --prefix-list and --image-list of the
// cloud commands also take s3://bucket/key, read with the process's own AWS credentials
// (its task or instance role) when it starts (cloud/docs/deploy.md).

// maxCloudList bounds a list read from the cloud (a prefix list of millions of lines
// fits).
const maxCloudList = 1 << 30

// fetchCloudList replaces *ref, when it is an s3:// URL, with a local copy of the
// object; cleanup removes the copy. Anything else is left as it is.
func fetchCloudList(ctx context.Context, ref *string, region, what string) (cleanup func(), err error) {
	cleanup = func() {}
	rest, ok := strings.CutPrefix(*ref, "s3://")
	if !ok {
		return cleanup, nil
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" || key == "" {
		return cleanup, fmt.Errorf("%s %q: give s3://bucket/key", what, *ref)
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cleanup, fmt.Errorf("%s: load AWS configuration: %w", what, err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return cleanup, fmt.Errorf("read %s %s: %w", what, *ref, err)
	}
	defer out.Body.Close()
	f, err := os.CreateTemp("", "thub-list-*")
	if err != nil {
		return cleanup, fmt.Errorf("%s: %w", what, err)
	}
	cleanup = func() { _ = os.Remove(f.Name()) }
	n, err := io.Copy(f, io.LimitReader(out.Body, maxCloudList+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxCloudList {
		err = errors.New("larger than 1 GiB")
	}
	if err != nil {
		cleanup()
		return func() {}, fmt.Errorf("read %s %s: %w", what, *ref, err)
	}
	*ref = f.Name()
	return cleanup, nil
}

// fetchCloudLists is fetchCloudList for each of refs (replaced in place).
func fetchCloudLists(ctx context.Context, refs []string, region, what string) (cleanup func(), err error) {
	var cleanups []func()
	cleanup = func() {
		for _, c := range cleanups {
			c()
		}
	}
	for i := range refs {
		c, err := fetchCloudList(ctx, &refs[i], region, what)
		if err != nil {
			cleanup()
			return func() {}, err
		}
		cleanups = append(cleanups, c)
	}
	return cleanup, nil
}
