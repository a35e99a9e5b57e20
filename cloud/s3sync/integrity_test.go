package s3sync_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/s3sync"
)

// A multipart copy corrupted on the destination's disk keeps its size and ETag.
// --compare checksum finds it and --compare none rewrites it; neither may take the equal
// ETag at the destination for a copy "made meanwhile" and report a copy it did not make.
func TestSyncRewritesMultipartWithEqualETag(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb, db := a.Bucket(t, "thub-src"), b.Bucket(t, "thub-dst")
	big := s3test.RandBytes(20<<20 + 77)
	a.PutMultipart(t, sb, "big.bin", big, 5<<20, nil)
	src := a.Open(t, sb, "", "")
	p := s3test.NewFaultProxy(t, b.Endpoint)
	dst := b.Open(t, db, "", p.URL)
	statePath := filepath.Join(t.TempDir(), "state.db")
	require.Equal(t, int64(1), run(t, src, dst, statePath, s3sync.Options{}).Copied)

	corrupt := func() {
		b.Corrupt(t, db, "big.bin", 3<<20, []byte("0123456789"))
		require.False(t, bytes.Equal(big, b.Get(t, db, "big.bin")))
	}
	corrupt()
	// The default compare cannot see it: size and ETag are unchanged.
	require.Zero(t, run(t, src, dst, statePath, s3sync.Options{}).Copied)

	res := run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareChecksum})
	require.Empty(t, res.Failures)
	require.True(t, bytes.Equal(big, b.Get(t, db, "big.bin")), "checksum mode reported big.bin copied (%d copied)", res.Copied)
	require.Equal(t, int64(1), res.Copied)
	require.Zero(t, run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareChecksum}).Copied, "repaired: equal now")

	corrupt()
	before := p.UploadBytes.Load()
	res = run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareNone})
	require.True(t, bytes.Equal(big, b.Get(t, db, "big.bin")), "--compare none reported big.bin copied (%d copied)", res.Copied)
	require.Equal(t, int64(1), res.Copied)
	require.GreaterOrEqual(t, p.UploadBytes.Load()-before, int64(len(big)), "every byte was sent again")
	s3test.Verify(t, a, sb, "", b, db, "", true)
}
