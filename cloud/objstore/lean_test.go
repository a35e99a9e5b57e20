package objstore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/objstore"
)

// The direct path answers exactly as the SDK does: same bodies, same object info and
// headers, same errors, for the keys and headers that break tools.
func TestLeanPathMatchesTheSDK(t *testing.T) {
	a, _ := s3test.Gateways(t)
	ctx := context.Background()
	bucket := a.Bucket(t, "thub-lean")
	p := s3test.NewFaultProxy(t, a.Endpoint)
	var direct, viaSDK atomic.Int64
	p.Intercept = func(w http.ResponseWriter, r *http.Request) bool {
		if q := r.URL.Query().Get("x-id"); q == "GetObject" || q == "PutObject" {
			if strings.HasPrefix(r.UserAgent(), "aws-sdk-go-v2") {
				viaSDK.Add(1)
			} else {
				direct.Add(1)
			}
		}
		return false
	}
	lean := a.Open(t, bucket, "pre fix/", p.URL)
	require.True(t, objstore.HasLean(lean))
	sdk := objstore.WithoutLean(lean)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(bytes.Repeat([]byte("compressible "), 1000))
	require.NoError(t, zw.Close())
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Format(http.TimeFormat)
	full := objstore.Headers{ContentType: "text/html; charset=utf-8", CacheControl: "max-age=3600, public",
		ContentDisposition: `attachment; filename="all.html"`, ContentEncoding: "identity", ContentLanguage: "de-CH",
		Expires: expires, Metadata: map[string]string{"owner": "team-a", "camelcase": "Value With Spaces", "thub-src-etag": "abc"}}
	cases := map[string]struct {
		body []byte
		h    objstore.Headers
	}{
		"unicode/ünïcødé/日本語/файл.txt":                 {[]byte("u"), objstore.Headers{}},
		"spaces/a key with spaces.txt":                 {[]byte("s"), full},
		"mixed/ +%?#&=;:@$,'!()*[]{}~`^|<>\".txt":      {[]byte("m"), objstore.Headers{ContentType: "text/plain"}},
		"percent/100%25 and %2F.txt":                   {[]byte("p"), objstore.Headers{}},
		"zero-byte":                                    {[]byte{}, objstore.Headers{}},
		"gzip/stored-compressed.txt":                   {gz.Bytes(), objstore.Headers{ContentEncoding: "gzip", ContentType: "text/plain"}},
		s3test.Key1024("long/")[:1024-len("pre fix/")]: {[]byte("long"), objstore.Headers{}},
	}
	for key, c := range cases {
		sum := md5.Sum(c.body)
		etagLean, err := lean.Put(ctx, key+".lean", c.body, objstore.Sums{MD5: sum[:]}, c.h)
		require.NoError(t, err, key)
		etagSDK, err := sdk.Put(ctx, key+".sdk", c.body, objstore.Sums{MD5: sum[:]}, c.h)
		require.NoError(t, err, key)
		require.Equal(t, etagSDK, etagLean, key)

		for _, k := range []string{key + ".lean", key + ".sdk"} {
			rcL, infoL, err := lean.Get(ctx, k, 0, -1, etagLean)
			require.NoError(t, err, k)
			bodyL, err := io.ReadAll(rcL)
			require.NoError(t, err)
			rcL.Close()
			rcS, infoS, err := sdk.Get(ctx, k, 0, -1, etagLean)
			require.NoError(t, err, k)
			bodyS, err := io.ReadAll(rcS)
			require.NoError(t, err)
			rcS.Close()
			require.Equal(t, c.body, bodyL, "%s: the stored bytes, never inflated", k)
			require.Equal(t, bodyS, bodyL, k)
			if len(infoS.Headers.Metadata) == 0 {
				infoS.Headers.Metadata = nil
			}
			require.Equal(t, infoS, infoL, k)
			if c.h.ContentType != "" {
				require.Equal(t, c.h.ContentType, infoL.Headers.ContentType, k)
			}
			require.Equal(t, len(c.h.Metadata), len(infoL.Headers.Metadata), k)
		}
	}
	require.Equal(t, int64(len(cases)*(1+2)), direct.Load(), "a direct PUT and two direct GETs per key")
	require.Equal(t, int64(len(cases)*(1+2)), viaSDK.Load())

	// Errors: missing key, changed source, missing bucket.
	for _, loc := range []*objstore.S3{lean, sdk} {
		_, _, err := loc.Get(ctx, "missing", 0, -1, "")
		require.ErrorIs(t, err, objstore.ErrNotFound)
		_, _, err = loc.Get(ctx, "zero-byte.lean", 0, -1, "0123456789abcdef0123456789abcdef")
		require.ErrorIs(t, err, objstore.ErrPrecondition)
	}
	gone := a.Open(t, "thub-no-such-bucket-"+s3test.RandName(""), "", p.URL)
	sum := md5.Sum([]byte("x"))
	_, errL := gone.Put(ctx, "k", []byte("x"), objstore.Sums{MD5: sum[:]}, objstore.Headers{})
	_, errS := objstore.WithoutLean(gone).Put(ctx, "k", []byte("x"), objstore.Sums{MD5: sum[:]}, objstore.Headers{})
	require.ErrorContains(t, errL, "NoSuchBucket")
	require.ErrorContains(t, errS, "NoSuchBucket")

	// A bad Content-MD5 is refused, never stored.
	_, err := lean.Put(ctx, "bad-md5", []byte("data"), objstore.Sums{MD5: sum[:]}, objstore.Headers{})
	require.Error(t, err)
	_, err = a.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("pre fix/bad-md5")})
	require.Error(t, err, "nothing written")
}
