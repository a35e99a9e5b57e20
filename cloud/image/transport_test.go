package image

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// A GET body cut mid-stream is resumed: with a Range request, or, from a server that
// ignores Range (the distribution registry does for manifests), by reading the same
// representation again and skipping what was read; a resuming request that fails is
// retried as any. A different representation is an error, never spliced onto what was
// read.
func TestCutBodyResumes(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 64)
	for _, c := range []struct {
		name, mode string
		requests   int64 // the cut one and those that resume
		wantErr    bool
	}{
		{"server honours Range", "range", 2, false},
		{"server ignores Range", "full", 2, false},
		{"resuming request reset", "reset", 3, false},
		{"representation changed", "changed", 2, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := requests.Add(1)
				first := n == 1
				if c.mode == "reset" && n == 2 {
					// The connection breaks before any answer.
					if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
						conn.Close()
					}
					return
				}
				id := "sha256:aaaa"
				if c.mode == "changed" && !first {
					id = "sha256:bbbb"
				}
				w.Header().Set("Docker-Content-Digest", id)
				w.Header().Set("Etag", `"`+id+`"`)
				if first {
					// Half the body, then the connection breaks.
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write(body[:len(body)/2])
					w.(http.Flusher).Flush()
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
					return
				}
				if c.mode == "range" || c.mode == "reset" {
					from := len(body) / 2
					if r.Header.Get("Range") != "bytes="+strconv.Itoa(from)+"-" {
						http.Error(w, "unexpected range "+r.Header.Get("Range"), http.StatusBadRequest)
						return
					}
					w.Header().Set("Content-Range", "bytes "+strconv.Itoa(from)+"-"+strconv.Itoa(len(body)-1)+"/"+strconv.Itoa(len(body)))
					w.Header().Set("Content-Length", strconv.Itoa(len(body)-from))
					w.WriteHeader(http.StatusPartialContent)
					_, _ = w.Write(body[from:])
					return
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			rt := &retryTransport{base: http.DefaultTransport.(*http.Transport).Clone(), attempts: 3,
				minWait: time.Millisecond, maxWait: time.Millisecond, log: slog.New(slog.DiscardHandler)}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/v2/app/manifests/sha256:aaaa", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if requests.Load() != c.requests {
				t.Fatalf("%d requests; want %d", requests.Load(), c.requests)
			}
			if c.wantErr {
				if err == nil {
					t.Fatalf("read %d bytes of a representation that changed mid-read; want an error", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("read after the cut: %v", err)
			}
			if !bytes.Equal(got, body) {
				t.Fatalf("read %d bytes, not the body (%d bytes)", len(got), len(body))
			}
		})
	}
}
