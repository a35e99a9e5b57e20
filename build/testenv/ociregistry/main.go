// Command ociregistry is the test environment's OCI 1.1 registry (reg-oci): an in-memory
// registry with the referrers API (go-containerregistry's), anonymous, plain HTTP.
// As a 1.1 registry does, it answers a manifest PUT that has a subject with the
// OCI-Subject header, so clients keep referrers in the API only (no fallback tags).
//
//	ociregistry -addr 127.0.0.1:5003
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5003", "listen address")
	flag.Parse()
	reg := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0)))
	srv := &http.Server{Addr: *addr, Handler: withSubjectHeader(reg), ReadHeaderTimeout: 30 * time.Second}
	log.Printf("ociregistry: serving on %s", *addr)
	log.Fatal(srv.ListenAndServe())
}

// withSubjectHeader sets OCI-Subject on the answer to a manifest PUT with a subject.
func withSubjectHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, "/manifests/") {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var m struct {
			Subject *struct {
				Digest string `json:"digest"`
			} `json:"subject"`
		}
		if json.Unmarshal(body, &m) == nil && m.Subject != nil && m.Subject.Digest != "" {
			w.Header().Set("OCI-Subject", m.Subject.Digest)
		}
		next.ServeHTTP(w, r)
	})
}
