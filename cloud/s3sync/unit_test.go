package s3sync

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/objstore"
	"transferhub/cloud/state"
)

// memLister is a sorted in-memory listing with S3 semantics (for logic tests only).
// Parallel listing calls it from several goroutines: it only reads.
type memLister struct {
	keys []string
}

func (m *memLister) List(ctx context.Context, prefix, startAfter string, fn func(objstore.Page) error) error {
	var p objstore.Page
	for _, k := range m.keys {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			p.Objects = append(p.Objects, objstore.Object{Key: k})
			if len(p.Objects) == 3 {
				if err := fn(p); err != nil {
					return err
				}
				p = objstore.Page{}
			}
		}
	}
	if len(p.Objects) > 0 {
		return fn(p)
	}
	return nil
}

func (m *memLister) ListDir(ctx context.Context, prefix string, limit int) (objstore.Page, bool, error) {
	var p objstore.Page
	seen := map[string]bool{}
	for _, k := range m.keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			d := prefix + rest[:i+1]
			if !seen[d] {
				seen[d] = true
				p.Dirs = append(p.Dirs, d)
			}
			continue
		}
		p.Objects = append(p.Objects, objstore.Object{Key: k})
	}
	if limit > 0 && len(p.Objects)+len(p.Dirs) > limit {
		// Like S3: only the first entries of the level come back.
		var cut objstore.Page
		oi, di := 0, 0
		for oi+di < limit {
			if di >= len(p.Dirs) || oi < len(p.Objects) && p.Objects[oi].Key < p.Dirs[di] {
				cut.Objects = append(cut.Objects, p.Objects[oi])
				oi++
			} else {
				cut.Dirs = append(cut.Dirs, p.Dirs[di])
				di++
			}
		}
		return cut, true, nil
	}
	return p, false, nil
}

func randomKeys(r *rand.Rand, n int) []string {
	alphabet := []string{"a", "b", "a.", "a-", "a0", "/", "/", "ü", " ", "+", "%", "z", "~"}
	set := map[string]bool{}
	for len(set) < n {
		var b strings.Builder
		l := 1 + r.Intn(8)
		for i := 0; i < l; i++ {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		set[b.String()] = true
	}
	keys := make([]string, 0, n)
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func collect(t *testing.T, s *stream) []string {
	t.Helper()
	var got []string
	for {
		o, ok := s.Next()
		if !ok {
			break
		}
		got = append(got, o.Key)
	}
	require.NoError(t, s.Err())
	return got
}

// Splitting the key space must never lose or reorder keys, including keys that sit above
// the split depth (DTH's finderDepth loses those) and keys with bytes sorting before "/".
func TestParallelListingIsLosslessAndOrdered(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for round := 0; round < 400; round++ {
		keys := randomKeys(r, 1+r.Intn(300))
		if round%2 == 1 {
			// Generated names in one flat level: the StartAfter range split applies.
			keys = nil
			for i, n := 0, 1+r.Intn(400); i < n; i++ {
				keys = append(keys, fmt.Sprintf("obj-%06d", r.Intn(100000)))
			}
			sort.Strings(keys)
			keys = slices.Compact(keys)
		}
		l := &memLister{keys: keys}
		want := 1 + r.Intn(20)
		// Small probe limits make most levels "huge", so they are split into ranges.
		probeLimit := 2 + r.Intn(40)
		segs, err := planSegments(context.Background(), l, nil, segmentPlan{want: want, maxDepth: 1 + r.Intn(4), workers: 1 + r.Intn(8), split: true, probeLimit: probeLimit})
		require.NoError(t, err)
		got := collect(t, listOrdered(context.Background(), l, segs, 1+r.Intn(8)))
		require.Equal(t, keys, got, "round %d", round)
		// Resuming after any key lists exactly the keys past it.
		after := keys[r.Intn(len(keys))]
		if r.Intn(3) == 0 {
			after += "\x00"
		}
		var want2 []string
		for _, k := range keys {
			if k > after {
				want2 = append(want2, k)
			}
		}
		got = collect(t, listOrdered(context.Background(), l, resumeSegments(segs, after), 1+r.Intn(8)))
		require.Equal(t, want2, got, "round %d resume after %q", round, after)
	}
}

func TestParallelListingWithPrefixesAndResume(t *testing.T) {
	keys := []string{"a", "a/1", "a/2", "a/b/1", "a.txt", "b/1", "b/2/3", "c", "c/d/e/f"}
	l := &memLister{keys: keys}
	segs, err := planSegments(context.Background(), l, normalizePrefixes([]string{"b/", "a/", "a/b/"}), segmentPlan{want: 8, maxDepth: 3, workers: 4, split: true})
	require.NoError(t, err)
	require.Equal(t, []string{"a/1", "a/2", "a/b/1", "b/1", "b/2/3"}, collect(t, listOrdered(context.Background(), l, segs, 4)))
	segs, err = planSegments(context.Background(), l, nil, segmentPlan{want: 8, maxDepth: 3, workers: 4, split: true})
	require.NoError(t, err)
	require.Equal(t, []string{"a/b/1", "b/1", "b/2/3", "c", "c/d/e/f"}, // "a.txt" < "a/2"
		collect(t, listOrdered(context.Background(), l, resumeSegments(segs, "a/2"), 4)))
}

// The local directory walk must come out in S3's byte order ("a.txt" < "a/b").
func TestLocalListingOrder(t *testing.T) {
	dir := t.TempDir()
	keys := []string{"a-b", "a.txt", "a/b", "a0", "b/c.d/e", "b/c/d", "b/c0", "dir/+%", "dir/x y", "dir/ü"}
	for _, k := range keys {
		p := filepath.Join(dir, filepath.FromSlash(k))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(k), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".thub-uploads", "x"), 0o755))
	loc, err := objstore.OpenLocal(dir)
	require.NoError(t, err)
	want := append([]string(nil), keys...)
	sort.Strings(want)
	segs, err := planSegments(context.Background(), loc, nil, segmentPlan{want: 8, maxDepth: 3, workers: 2, split: true})
	require.NoError(t, err)
	require.Equal(t, want, collect(t, listOrdered(context.Background(), loc, segs, 3)))
	var flat []string
	require.NoError(t, loc.List(context.Background(), "", "a0", func(p objstore.Page) error {
		for _, o := range p.Objects {
			flat = append(flat, o.Key)
		}
		return nil
	}))
	require.Equal(t, want[4:], flat)
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pat  string
		key  string
		want bool
	}{
		{"*.jpg", "a.jpg", true},
		{"*.jpg", "x/y/a.jpg", true},
		{"*.jpg", "a.jpg.txt", false},
		{"x/*.jpg", "x/a.jpg", true},
		{"x/*.jpg", "x/y/a.jpg", false},
		{"x/**.jpg", "x/y/a.jpg", true},
		{"**/a.jpg", "a.jpg", true},
		{"**/a.jpg", "q/r/a.jpg", true},
		{"logs/**", "logs/2024/01/x", true},
		{"logs/**", "logs2/x", false},
		{"file?.txt", "file1.txt", true},
		{"file?.txt", "file10.txt", false},
		{"[ab]*", "b/c", false},
		{"[ab]*", "c/bc", true},
		{"[!ab]x", "cx", true},
		{"[!ab]x", "ax", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"sp ace+plus%25?q#h", "sp ace+plus%25?q#h", true},
	}
	for _, c := range cases {
		re, err := Glob(c.pat)
		require.NoError(t, err, c.pat)
		require.Equal(t, c.want, re.MatchString(c.key), "%s ~ %s", c.pat, c.key)
	}
	_, err := Glob("[abc")
	require.Error(t, err)
}

func TestSelection(t *testing.T) {
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	m, err := newMatcher(Selection{Include: []string{"*.log"}, Exclude: []string{"tmp/**"}, MinSize: 10, MaxSize: 100,
		ModifiedAfter: now.Add(-time.Hour), ModifiedBefore: now})
	require.NoError(t, err)
	ok := objstore.Object{Key: "x/a.log", Size: 50, LastModified: now.Add(-time.Minute)}
	require.True(t, m.matches(ok))
	for _, o := range []objstore.Object{
		{Key: "x/a.txt", Size: 50, LastModified: ok.LastModified},
		{Key: "tmp/a.log", Size: 50, LastModified: ok.LastModified},
		{Key: "x/a.log", Size: 5, LastModified: ok.LastModified},
		{Key: "x/a.log", Size: 500, LastModified: ok.LastModified},
		{Key: "x/a.log", Size: 50, LastModified: now.Add(-2 * time.Hour)},
		{Key: "x/a.log", Size: 50, LastModified: now},
	} {
		require.False(t, m.matches(o), "%+v", o)
	}
	_, err = newMatcher(Selection{MinSize: 10, MaxSize: 5})
	require.Error(t, err)
	require.Equal(t, []string{"a/", "b"}, normalizePrefixes([]string{"b", "a/x", "a/", "b", "bc"}))
}

func TestJobEncoding(t *testing.T) {
	j := Job{Run: "r1", Objects: []JobObject{
		{Key: `we"ird\key` + "\n\u00fc", Size: 3, ETag: "abc"},
		{Key: "not-utf8-\xff\xfe", Size: 0},
	}}
	b, err := EncodeJob(j)
	require.NoError(t, err)
	require.Contains(t, string(b), `"v":1`)
	require.Contains(t, string(b), `"keyB64"`)
	got, err := DecodeJob(b)
	require.NoError(t, err)
	require.Equal(t, j.Objects[0].Key, got.Objects[0].Key)
	require.Equal(t, j.Objects[1].Key, got.Objects[1].Key)
	_, err = DecodeJob([]byte(`{"v":2,"objects":[]}`))
	require.ErrorContains(t, err, "version 2")
	_, err = DecodeJob([]byte(`{"key":"x"}`))
	require.Error(t, err)
}

func TestLayout(t *testing.T) {
	maxPart := Options{}.Defaults().MaxMemory
	// A source uploaded with 8 MiB parts (the sizes its parts' HEADs gave): reproduced.
	lay, ok := layoutOf(20<<20, []int64{8 << 20, 8 << 20, 4 << 20}, maxPart)
	require.True(t, ok)
	require.True(t, lay.reproduced)
	require.Equal(t, 3, lay.n)
	require.Equal(t, int64(4<<20), lay.partLen(3))
	require.Equal(t, int64(16<<20), lay.off(3))
	require.Nil(t, lay.offs, "an even layout travels as a part size")
	// Inconsistent part sizes: fall back to our own layout.
	lay, _ = layoutOf(20<<20, []int64{5 << 20, 5 << 20, 5 << 20}, maxPart)
	require.False(t, lay.reproduced)
	_, ok = layoutOf(20<<20, []int64{4 << 20, 4 << 20, 12 << 20}, maxPart)
	require.False(t, ok, "parts below 5 MiB but the last")
	_, ok = layoutOf(600<<20, []int64{300 << 20, 300 << 20}, maxPart)
	require.False(t, ok, "parts above the memory bound")
	// Unequal parts (8, 6, 10, 5 MiB) keep their boundaries.
	lay, ok = layoutOf(29<<20, []int64{8 << 20, 6 << 20, 10 << 20, 5 << 20}, maxPart)
	require.True(t, ok)
	require.True(t, lay.reproduced)
	require.Equal(t, []int64{0, 8 << 20, 14 << 20, 24 << 20}, []int64{lay.off(1), lay.off(2), lay.off(3), lay.off(4)})
	require.Equal(t, []int64{8 << 20, 6 << 20, 10 << 20, 5 << 20}, []int64{lay.partLen(1), lay.partLen(2), lay.partLen(3), lay.partLen(4)})
	require.Equal(t, int64(10<<20), lay.partSize, "the largest part")
	// A last part larger than the first: unequal too.
	lay, ok = layoutOf(13<<20, []int64{5 << 20, 8 << 20}, maxPart)
	require.True(t, ok)
	require.Equal(t, int64(8<<20), lay.partLen(2))
	// A single-part source: our part size, grown to stay within 10,000 parts.
	lay = defaultLayout(200<<30, 8<<20)
	require.LessOrEqual(t, lay.n, maxParts)
	require.Equal(t, int64(200<<30), lay.off(lay.n)+lay.partLen(lay.n))
	require.Equal(t, 1, defaultLayout(0, 8<<20).n)
}

func TestMultipartETag(t *testing.T) {
	a, b := md5.Sum([]byte("part1")), md5.Sum([]byte("part2"))
	h := md5.New()
	h.Write(a[:])
	h.Write(b[:])
	want := fmt.Sprintf("%s-2", hex.EncodeToString(h.Sum(nil)))
	got := multipartETag([]objstore.Part{{Number: 1, ETag: hex.EncodeToString(a[:])}, {Number: 2, ETag: hex.EncodeToString(b[:])}})
	require.Equal(t, want, got)
	require.Equal(t, "", multipartETag([]objstore.Part{{Number: 1, ETag: "kms-opaque"}}))
}

func TestLimiterAdapts(t *testing.T) {
	l := newLimiter(16)
	l.throttled()
	require.Equal(t, 12, l.current())
	l.throttled() // within a second: counted once
	require.Equal(t, 12, l.current())
	for i := 0; i < 12; i++ {
		require.NoError(t, l.acquire(context.Background()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.Error(t, l.acquire(ctx), "the bound must hold")
	for i := 0; i < 12; i++ {
		l.release()
	}
	require.Equal(t, 13, l.current(), "a bound's worth of successes grows it by one")
}

func TestProviders(t *testing.T) {
	p, err := objstore.LookupProvider("aliyun-oss", false)
	require.NoError(t, err)
	require.Equal(t, "https://oss-cn-beijing.aliyuncs.com", p.Endpoint("cn-beijing"))
	require.False(t, p.AWS)
	p, err = objstore.LookupProvider("", false)
	require.NoError(t, err)
	require.True(t, p.AWS)
	p, err = objstore.LookupProvider("", true)
	require.NoError(t, err)
	require.Equal(t, "other", p.Name)
	_, err = objstore.LookupProvider("azure", false)
	require.ErrorContains(t, err, "unknown provider")
	require.Equal(t, "aws-cn", objstore.Partition("cn-northwest-1"))
	require.Equal(t, "aws-us-gov", objstore.Partition("us-gov-west-1"))
	require.Equal(t, "aws-iso", objstore.Partition("us-iso-east-1"))
	require.Equal(t, "aws-iso-b", objstore.Partition("us-isob-east-1"))
	for _, bad := range []string{"Bad_Bucket", "ab", "a..b", "192.168.1.1", "-abc"} {
		require.Error(t, objstore.ValidateBucket(bad), bad)
	}
	for _, bad := range []string{"ftp://x", "http://", "http://h:port", "http://h/?q=1"} {
		_, err := objstore.ValidateEndpoint(bad)
		require.Error(t, err, bad)
	}
	_, err = objstore.ParseSpec("gs://bucket")
	require.ErrorContains(t, err, "unsupported scheme")
}

func TestRangeSplitOfFlatLevel(t *testing.T) {
	var keys []string
	for i := 0; i < 5000; i++ {
		keys = append(keys, fmt.Sprintf("logs/obj-%06d", i*7))
	}
	l := &memLister{keys: keys}
	segs, err := planSegments(context.Background(), l, nil, segmentPlan{want: 16, maxDepth: 3, workers: 4, split: true, probeLimit: 100})
	require.NoError(t, err)
	require.Greater(t, countLists(segs), 5, "a flat level is split into ranges")
	require.Equal(t, keys, collect(t, listOrdered(context.Background(), l, segs, 4)))
}

// A task's own uploads: the one its record names, and around an intent's time those of
// its key; never others.
func TestOwnUploads(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ups := []objstore.Upload{
		{Key: "k", ID: "recorded", Initiated: t0.Add(-time.Hour)},
		{Key: "k", ID: "orphan", Initiated: t0.Add(2 * time.Second)},
		{Key: "k", ID: "early", Initiated: t0.Add(-2 * intentBefore)},
		{Key: "k", ID: "late", Initiated: t0.Add(2 * intentAfter)},
	}
	ids := func(us []objstore.Upload) (out []string) {
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	require.Equal(t, []string{"recorded"}, ids(ownUploads(state.Object{Status: state.ItemInProgress, UploadID: "recorded", UpdatedAt: t0}, ups, "")))
	require.Empty(t, ownUploads(state.Object{Status: state.ItemInProgress, UploadID: "recorded"}, ups, "recorded"), "keep")
	require.Equal(t, []string{"orphan"}, ids(ownUploads(state.Object{Status: state.ItemInProgress, UpdatedAt: t0}, ups, "")), "intent")
	require.Empty(t, ownUploads(state.Object{Status: state.ItemDone, UpdatedAt: t0}, ups, ""), "no upload, no intent")
	require.Empty(t, ownUploads(state.Object{}, ups, ""), "no record")
}
