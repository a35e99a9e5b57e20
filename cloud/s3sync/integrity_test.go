package s3sync_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/state"
	"transferhub/cloud/state/sqlite"
)

// A multipart copy corrupted on the destination's disk keeps its size and ETag.
// --compare checksum finds it and --compare none rewrites it; neither may take the equal
// ETag at the destination for a copy "made meanwhile" and report a copy it did not make.
func TestSyncRewritesMultipartWithEqualETag(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
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
	a, b, sb, db := s3test.SrcDst(t)
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
	require.Equal(t, int64(2), res.ComparedByData, "the result says how it compared")
	require.Equal(t, int64(2*(5000+300)), res.ComparedBytes)
	s3test.Verify(t, a, sb, "", b, db, "", true)
}

// --compare checksum says how it compared: by reading both sides' data, or by the
// full-object CRC-64/NVME both stores keep (no data read).
func TestCompareChecksumSaysHow(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
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

// A source uploaded with parts of unequal sizes (8, 6, 10, 5 MiB: their sum is also 3 x 8
// + 5, so the first part's size alone suggests an even layout) is copied with its own
// layout and ETag, streamed, server-side and split across a fleet, each byte sent once.
func TestSyncUnequalSourceParts(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	sizes := []int{8 << 20, 6 << 20, 10 << 20, 5 << 20}
	body := s3test.RandBytes(29 << 20)
	etag := a.PutParts(t, sb, "uneven.bin", body, sizes, map[string]string{"kind": "uneven"})
	a.PutParts(t, sb, "two.bin", body[:13<<20], []int{5 << 20, 8 << 20}, nil) // last part larger than the first

	t.Run("streamed", func(t *testing.T) {
		db := b.Bucket(t, "thub-dst")
		p := s3test.NewFaultProxy(t, b.Endpoint)
		res := run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", p.URL), "", s3sync.Options{})
		require.Empty(t, res.Failures)
		require.Equal(t, int64(2), res.Copied)
		s3test.Verify(t, a, sb, "", b, db, "", true)
		require.Equal(t, etag, b.List(t, db, "")[1].ETag)
		require.LessOrEqual(t, p.UploadBytes.Load(), int64(len(body)+13<<20+64<<10), "bytes sent more than once")
		require.Empty(t, b.OpenUploads(t, db))
	})
	t.Run("server-side", func(t *testing.T) {
		db := a.Bucket(t, "thub-dst")
		res := run(t, a.Open(t, sb, "", ""), a.Open(t, db, "", ""), "", s3sync.Options{})
		require.Empty(t, res.Failures)
		require.True(t, res.ServerSide)
		require.Equal(t, int64(2), res.Copied)
		s3test.Verify(t, a, sb, "", a, db, "", true)
	})
	t.Run("fleet", func(t *testing.T) {
		db := b.Bucket(t, "thub-dst")
		runFleet(t, a.Open(t, sb, "", ""), b.Open(t, db, "", ""), 1<<20)
		s3test.Verify(t, a, sb, "", b, db, "", true)
		require.Empty(t, b.OpenUploads(t, db))
	})
}

// runFleet runs a finder and one fleet worker over a fresh state file until every found
// object is settled; objects of at least giant bytes are split into part jobs.
func runFleet(t *testing.T, src, dst objstore.Location, giant int64) state.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, task := s3sync.StartedTask(t, ctx, "fleet")
	q := store.Queue("jobs", sqlite.QueueOptions{})
	opt := s3sync.Options{Concurrency: 8, ReceiveWait: 20 * time.Millisecond, JobVisibility: 10 * time.Second}
	f := &s3sync.Finder{Src: src, Dst: dst, Store: store, Queue: q, TaskID: "fleet", Opt: opt}
	_, err := f.Run(ctx, task.RunID)
	require.NoError(t, err)
	fl := &s3sync.Fleet{Worker: &s3sync.Worker{Src: src, Dst: dst, Store: store, Queue: q, TaskID: "fleet", Opt: opt},
		GiantThreshold: giant, RetryDelay: 100 * time.Millisecond, Grace: time.Second}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- fl.Serve(sctx) }()
	for {
		task, err = store.GetTask(ctx, "fleet")
		require.NoError(t, err)
		if task.Complete() {
			break
		}
		require.NoError(t, ctx.Err(), "fleet did not settle: %+v", task.Counters)
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	require.NoError(t, <-served)
	require.Zero(t, task.Counters.FailedObjects)
	return task
}

// Object tags are copied where both stores keep them (single PUTs, multipart uploads,
// server-side copies); --tags sets its own instead; Options.NoTags leaves them out.
func TestSyncCopiesTags(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	a.Put(t, sb, "small.txt", []byte("small"), &s3.PutObjectInput{Tagging: aws.String("team=a%20b&cost=42")})
	a.Put(t, sb, "untagged.txt", []byte("plain"), nil)
	a.PutMultipart(t, sb, "multi.bin", s3test.RandBytes(11<<20), 5<<20, nil)
	_, err := a.Client.PutObjectTagging(context.Background(), &s3.PutObjectTaggingInput{Bucket: aws.String(sb), Key: aws.String("multi.bin"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("kind"), Value: aws.String("multi/part")}}}})
	require.NoError(t, err)
	a.Put(t, sb, "split.bin", s3test.RandBytes(17<<20), &s3.PutObjectInput{Tagging: aws.String("kind=split")}) // parts here
	want := map[string]map[string]string{
		"small.txt": {"team": "a b", "cost": "42"}, "untagged.txt": {}, "multi.bin": {"kind": "multi/part"}, "split.bin": {"kind": "split"},
	}
	for k, tags := range want {
		require.Equal(t, tags, a.Tags(t, sb, k), "seeded tags of %s", k)
	}
	for _, c := range []struct {
		name string
		g    *s3test.Gateway
	}{{"streamed", b}, {"server-side", a}} {
		t.Run(c.name, func(t *testing.T) {
			db := c.g.Bucket(t, "thub-dst")
			res := run(t, a.Open(t, sb, "", ""), c.g.Open(t, db, "", ""), "", s3sync.Options{})
			require.Empty(t, res.Failures)
			require.Equal(t, c.g == a, res.ServerSide)
			for k, tags := range want {
				require.Equal(t, tags, c.g.Tags(t, db, k), "tags of %s", k)
			}

			db = c.g.Bucket(t, "thub-notags")
			res = run(t, a.Open(t, sb, "", ""), c.g.Open(t, db, "", ""), "", s3sync.Options{NoTags: true})
			require.Empty(t, res.Failures)
			for k := range want {
				require.Empty(t, c.g.Tags(t, db, k), "tags of %s with NoTags", k)
			}

			db = c.g.Bucket(t, "thub-settags")
			cfg := c.g.Config("")
			cfg.Tagging = "fixed=yes"
			dst, err := objstore.OpenS3(context.Background(), db, "", cfg)
			require.NoError(t, err)
			res = run(t, a.Open(t, sb, "", ""), dst, "", s3sync.Options{})
			require.Empty(t, res.Failures)
			for k := range want {
				require.Equal(t, map[string]string{"fixed": "yes"}, c.g.Tags(t, db, k), "--tags on %s", k)
			}
		})
	}
}

// A change of an object's headers or metadata alone keeps its ETag. The default compare
// sees that the source was written after its copy (LastModified) and compares the
// headers of both (two HEADs for such objects only); --compare checksum compares them
// with the data, tags too.
func TestSyncMetadataOnlyChange(t *testing.T) {
	a, b, sb, db := s3test.SrcDst(t)
	body := []byte("same bytes, new headers")
	put := func(key, ctype string, meta map[string]string) {
		a.Put(t, sb, key, body, &s3.PutObjectInput{ContentType: aws.String(ctype), Metadata: meta})
	}
	put("doc.txt", "text/plain", map[string]string{"version": "1"})
	put("other.txt", "text/plain", map[string]string{"version": "1"})
	src, dst := a.Open(t, sb, "", ""), b.Open(t, db, "", "")
	statePath := filepath.Join(t.TempDir(), "state.db")
	require.Equal(t, int64(2), run(t, src, dst, statePath, s3sync.Options{}).Copied)

	time.Sleep(1100 * time.Millisecond) // the source changes in a later second than the copy was written
	etag := a.List(t, sb, "")[0].ETag
	put("doc.txt", "text/markdown", map[string]string{"version": "2", "reviewed": "yes"})
	require.Equal(t, etag, a.List(t, sb, "")[0].ETag, "a metadata-only change keeps the ETag")
	res := run(t, src, dst, statePath, s3sync.Options{})
	require.Equal(t, int64(1), res.Copied, "the default compare missed a metadata-only change")
	require.Equal(t, a.Head(t, sb, "doc.txt"), b.Head(t, db, "doc.txt"))
	require.Zero(t, run(t, src, dst, statePath, s3sync.Options{}).Copied, "current again")
	require.Zero(t, run(t, src, dst, "", s3sync.Options{}).Copied, "current again, without the task's records")

	// --compare checksum compares headers and tags with the data.
	time.Sleep(1100 * time.Millisecond)
	put("other.txt", "text/plain", map[string]string{"version": "3"})
	res = run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareChecksum})
	require.Equal(t, int64(1), res.Copied)
	require.Equal(t, a.Head(t, sb, "other.txt"), b.Head(t, db, "other.txt"))
	_, err := a.Client.PutObjectTagging(context.Background(), &s3.PutObjectTaggingInput{Bucket: aws.String(sb), Key: aws.String("doc.txt"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("state"), Value: aws.String("final")}}}})
	require.NoError(t, err)
	res = run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareChecksum})
	require.Equal(t, int64(1), res.Copied, "a tag-only change")
	require.Equal(t, map[string]string{"state": "final"}, b.Tags(t, db, "doc.txt"))
	require.Zero(t, run(t, src, dst, statePath, s3sync.Options{Compare: s3sync.CompareChecksum}).Copied)
	s3test.Verify(t, a, sb, "", b, db, "", true)
}

// The source ETag goes into a copy's metadata (thub-src-etag) only where the copy's own
// ETag will differ from the source's; NoSrcETag writes it nowhere, and then a compare
// without the task's records still recognises copies by the full-object checksums both
// stores keep, where they do.
func TestSyncWritesSrcETagOnlyWhereNeeded(t *testing.T) {
	a, b := s3test.Gateways(t)
	sb := a.Bucket(t, "thub-src")
	a.Put(t, sb, "plain.txt", []byte("plain"), nil)                           // ETag equal: no metadata
	a.PutMultipart(t, sb, "layout.bin", s3test.RandBytes(11<<20), 5<<20, nil) // layout reproduced: no metadata
	a.Put(t, sb, "split.bin", s3test.RandBytes(17<<20), nil)                  // split here: the ETag differs
	has := func(g *s3test.Gateway, bucket, key string) bool {
		_, ok := g.Metadata(t, bucket, key)[s3sync.MetaSrcETag]
		return ok
	}

	db := b.Bucket(t, "thub-dst")
	statePath := filepath.Join(t.TempDir(), "state.db")
	require.Equal(t, int64(3), run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", ""), statePath, s3sync.Options{}).Copied)
	require.False(t, has(b, db, "plain.txt"), "a copy with the source's ETag got thub-src-etag")
	require.False(t, has(b, db, "layout.bin"), "a copy with the source's ETag got thub-src-etag")
	require.True(t, has(b, db, "split.bin"))
	require.Zero(t, run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", ""), "", s3sync.Options{}).Copied, "fresh state")

	t.Run("NoSrcETag, full-object checksums on both sides", func(t *testing.T) {
		sc := a.Bucket(t, "thub-crc")
		a.PutCRC(t, sc, "split.bin", s3test.RandBytes(17<<20), 0)
		db := b.Bucket(t, "thub-dst")
		opt := s3sync.Options{NoSrcETag: true}
		require.Equal(t, int64(1), run(t, openCRC(t, a, sc, ""), openCRC(t, b, db, ""), "", opt).Copied)
		require.False(t, has(b, db, "split.bin"))
		res := run(t, openCRC(t, a, sc, ""), openCRC(t, b, db, ""), "", opt)
		require.Zero(t, res.Copied, "fresh state: compared by the checksums")
		require.Equal(t, int64(1), res.Skipped)
	})

	t.Run("NoSrcETag", func(t *testing.T) {
		db := b.Bucket(t, "thub-dst")
		kms := s3test.NewKMSProxy(t, b)
		statePath := filepath.Join(t.TempDir(), "state.db")
		opt := s3sync.Options{NoSrcETag: true}
		require.Equal(t, int64(3), run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", kms.URL), statePath, opt).Copied)
		for _, k := range []string{"plain.txt", "layout.bin", "split.bin"} {
			require.False(t, has(b, db, k), k)
		}
		require.Zero(t, run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", kms.URL), statePath, opt).Copied, "the task's records answer")
		res := run(t, a.Open(t, sb, "", ""), b.Open(t, db, "", kms.URL), "", opt)
		require.Equal(t, int64(3), res.Copied, "without records nor metadata, KMS copies are copied again (documented)")
	})
}
