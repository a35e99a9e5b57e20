// Command mkimages pushes the benchmark image set (deterministic, no network source):
// N images alternating single-platform and two-platform indexes. It prints one
// reference per line on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"transferhub/cloud/image"
	"transferhub/cloud/image/imagetest"
)

func main() {
	repo := flag.String("repo", "", "registry/namespace to push under (images are NAMESPACE/imgNN:v1)")
	n := flag.Int("n", 20, "number of images")
	multi := flag.Int("multi", 8, "how many of them are two-platform indexes")
	single := flag.String("single-layers", "10485760,3145728", "layer sizes of single-platform images (bytes)")
	index := flag.String("index-layers", "6291456,3145728", "layer sizes per platform of indexes (bytes)")
	insecure := flag.String("insecure-http", "", "plain-HTTP registry host")
	ca := flag.String("ca-file", "", "CA file")
	user := flag.String("user", "", "registry user (password from MKIMAGES_PASSWORD)")
	flag.Parse()
	if *repo == "" {
		fmt.Fprintln(os.Stderr, "mkimages: -repo is required")
		os.Exit(2)
	}
	acc := image.Access{NoDockerConfig: true, Creds: map[string]image.Cred{}}
	if *insecure != "" {
		acc.InsecureHTTP = []string{*insecure}
	}
	if *ca != "" {
		acc.CAFiles = []string{*ca}
	}
	host, _, _ := strings.Cut(*repo, "/")
	if *user != "" {
		acc.Creds[host] = image.Cred{User: *user, Password: os.Getenv("MKIMAGES_PASSWORD")}
	}
	cl, err := image.NewClient(acc, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimages:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	rc, err := cl.RegClient(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkimages:", err)
		os.Exit(1)
	}
	for i := 0; i < *n; i++ {
		spec := imagetest.Spec{Seed: uint64(1000 + i), Layers: sizes(*single)}
		if i%(*n/max(*multi, 1)) == 0 && i/(*n/max(*multi, 1)) < *multi {
			spec.Platforms = []string{"linux/amd64", "linux/arm64"}
			spec.Layers = sizes(*index)
		}
		ref := fmt.Sprintf("%s/img%02d:v1", *repo, i)
		if _, err := imagetest.Push(ctx, rc, ref, spec); err != nil {
			fmt.Fprintln(os.Stderr, "mkimages:", err)
			os.Exit(1)
		}
		fmt.Println(ref)
	}
}

func sizes(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		var v int64
		fmt.Sscan(f, &v)
		out = append(out, v)
	}
	return out
}
