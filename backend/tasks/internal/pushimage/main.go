// Command pushimage pushes a small generated image (cloud/image/imagetest) to a registry,
// for the desktop app's end-to-end tests of image tasks. A development tool, never
// shipped; it depends on nothing but the test image builder, so it builds while other
// packages of the tree are being edited.
//
//	pushimage -ref HOST/REPO:TAG [-user U -pass P] [-ca FILE | -insecure] [-seed N]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/types/ref"

	"transferhub/cloud/image/imagetest"
)

func main() {
	if err := pushImage(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pushimage:", err)
		os.Exit(1)
	}
}

func pushImage(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pushimage", flag.ExitOnError)
	refStr := fs.String("ref", "", "HOST/REPO:TAG")
	user := fs.String("user", "", "registry user")
	pass := fs.String("pass", "", "registry password")
	ca := fs.String("ca", "", "CA file (PEM) of a TLS registry")
	insecure := fs.Bool("insecure", false, "plain HTTP")
	seed := fs.Uint64("seed", 1, "content seed")
	_ = fs.Parse(args)
	r, err := ref.New(*refStr)
	if err != nil {
		return fmt.Errorf("-ref: %w", err)
	}
	h := config.Host{Name: r.Registry, User: *user, Pass: *pass, TLS: config.TLSEnabled}
	if *insecure {
		h.TLS = config.TLSDisabled
	}
	if *ca != "" {
		b, err := os.ReadFile(*ca)
		if err != nil {
			return err
		}
		h.RegCert = string(b)
	}
	rc := regclient.New(regclient.WithConfigHost(h))
	img, err := imagetest.Push(ctx, rc, *refStr, imagetest.Spec{Layers: []int64{4096, 1024}, Seed: *seed, Created: time.Now()})
	if err != nil {
		return err
	}
	fmt.Println(*refStr, img.Digest)
	return nil
}
