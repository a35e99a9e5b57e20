package objstore

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// Key encoding (go test -fuzz, seed corpora in testdata/fuzz): a key reaches the store
// as itself, and a local directory never maps one outside its root.

// x-amz-copy-source: what the store decodes is bucket/key, byte for byte.
func FuzzCopySource(f *testing.F) {
	for _, k := range []string{"a b", "a+b", "100%", "ünï/日本", "?#&=", "\xff", "dir/", "", "a//b"} {
		f.Add("bucket", k)
	}
	f.Fuzz(func(t *testing.T, bucket, key string) {
		if ValidateBucket(bucket) != nil {
			return // refused before any copy
		}
		enc := copySource(bucket, key)
		if k := enc[len(bucket)+1:]; strings.ContainsAny(k, " ?#+") {
			// A "+" would be read as a space by stores that form-decode the header.
			t.Fatalf("unescaped characters in the key part %q", k)
		}
		got, err := url.PathUnescape(enc)
		if err != nil {
			t.Fatalf("%q does not decode: %v", enc, err)
		}
		if got != bucket+"/"+key {
			t.Fatalf("copy source of %q/%q decodes to %q", bucket, key, got)
		}
	})
}

// A key a directory takes maps to a path inside it; keys it cannot hold faithfully
// (".." segments, absolute, NUL, the engine's own names) are refused.
func FuzzLocalPath(f *testing.F) {
	for _, k := range []string{"a/b.txt", "../x", "a/../../x", "/etc/passwd", "a//b", ".thub-uploads/x", "d/.thub-tmp-1", "a\x00b", "./a", "a/.", `a\..\b`, "dir/"} {
		f.Add(k)
	}
	root := filepath.Join(f.TempDir(), "root")
	l, err := OpenLocal(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, err := l.path(key)
		if err != nil {
			return
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) || rel == "." {
			t.Fatalf("key %q maps to %q, outside the root %q", key, p, l.root)
		}
		for _, seg := range strings.Split(filepath.ToSlash(rel), "/") {
			if seg == localUploads || strings.HasPrefix(seg, localTmp) {
				t.Fatalf("key %q maps onto the engine's own name %q", key, seg)
			}
		}
	})
}
