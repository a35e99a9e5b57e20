package s3sync_test

import (
	"bytes"
	"context"
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
// A single-part copy corrupted on the destination's disk keeps its MD5-looking ETag:
// --compare checksum reads the data instead of trusting it, finds it and repairs it.
func TestCompareChecksumFindsCorruptedSinglePart(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb, db := a.Bucket(t, "thub-src"), b.Bucket(t, "thub-dst")
	small := s3test.RandBytes(5000)
	a.Put(t, sb, "small.bin", small, nil)
	a.Put(t, sb, "other.bin", s3test.RandBytes(300), nil)
	src, dst := a.Open(t, sb, "", ""), b.Open(t, db, "", "")
	statePath := filepath.Join(t.TempDir(), "state.db")
	require.Equal(t, int64(2), run(t, src, dst, statePath, s3sync.Options{}).Copied)
	b.Corrupt(t, db, "small.bin", 100, []byte("0123456789"))
	require.False(t, bytes.Equal(small, b.Get(t, db, "small.bin")))

	res := run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareChecksum})
	require.Empty(t, res.Failures)
	require.True(t, bytes.Equal(small, b.Get(t, db, "small.bin")), "checksum mode trusted the ETag of the corrupted copy")
	require.Equal(t, int64(1), res.Copied)
	require.Equal(t, int64(1), res.Skipped)
	s3test.Verify(t, a, sb, "", b, db, "", true)
}

// --compare checksum says how it compared: by reading both sides' data, or by the
// full-object CRC-64/NVME both stores keep (no data read).
func TestCompareChecksumSaysHow(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb, db := a.Bucket(t, "thub-src"), b.Bucket(t, "thub-dst")
	a.PutCRC(t, sb, "one.bin", s3test.RandBytes(3000), 0)
	a.PutCRC(t, sb, "two.bin", s3test.RandBytes(7<<20), 5<<20)
	ctx := context.Background()
	require.Equal(t, int64(2), run(t, openCRC(t, a, sb, ""), openCRC(t, b, db, ""), "", s3sync.Options{}).Copied)

	// Checksums off (as for most S3-compatible stores): the data of both sides is read.
	f := &s3sync.Finder{Src: a.Open(t, sb, "", ""), Dst: b.Open(t, db, "", ""), Opt: s3sync.Options{Compare: s3sync.CompareChecksum, DryRun: true}}
	st, err := f.Run(ctx, "dry")
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Skipped)
	require.Equal(t, int64(2), st.ComparedData)
	require.Equal(t, int64(2*(3000+7<<20)), st.ComparedBytes)
	require.Zero(t, st.ComparedChecksums)

	// Both keep a full-object CRC-64/NVME: compared without reading any data.
	pa, pb := s3test.NewFaultProxy(t, a.Endpoint), s3test.NewFaultProxy(t, b.Endpoint)
	f = &s3sync.Finder{Src: openCRC(t, a, sb, pa.URL), Dst: openCRC(t, b, db, pb.URL), Opt: s3sync.Options{Compare: s3sync.CompareChecksum, DryRun: true}}
	st, err = f.Run(ctx, "dry")
	require.NoError(t, err)
	require.Equal(t, int64(2), st.Skipped)
	require.Equal(t, int64(2), st.ComparedChecksums)
	require.Zero(t, st.ComparedData)
	require.Zero(t, pa.Gets.Load()+pb.Gets.Load(), "object GETs")
}
