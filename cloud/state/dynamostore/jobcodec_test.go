package dynamostore

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/state"
)

// Entries come back exactly as written, whatever their ETags, checksums and keys look
// like; the compact forms are only used where they are exact.
func TestJobCodecRoundTrip(t *testing.T) {
	es := []entry{
		{Key: "", Status: state.ItemPending},
		{Key: "a", Size: 1, ETag: "0123456789abcdef0123456789abcdef", DestETag: "0123456789abcdef0123456789abcdef",
			Checksum: "CRC64NVME:AAECAwQFBgc=", LastModified: 1_700_000_000_000_000_000, Status: state.ItemDone, Attempts: 1, Updated: 1_800_000_000_000_000_000},
		{Key: "a/b", Size: 5 << 30, ETag: "0123456789abcdef0123456789abcdef-12", DestETag: "fedcba9876543210fedcba9876543210-12",
			Status: state.ItemInProgress, UploadID: "up-1", PartsTotal: 12, PartsDone: 3, LastModified: 1_600_000_000_000_000_000, Updated: 5},
		{Key: "a/c", ETag: "0123456789ABCDEF0123456789ABCDEF", Checksum: "SHA256:abc", Status: state.ItemFailed, Error: "SlowDown: please\nreduce", Shadow: true},
		{Key: "a/d", ETag: "abc-0012", Checksum: "CRC64NVME:not base64!", Status: state.ItemSkipped, DestETag: "x"},
		{Key: "é/\x00/" + strings.Repeat("k", 1000), Size: -1, Status: state.ItemDone, Attempts: 7},
	}
	b, err := encodeEntries(es)
	require.NoError(t, err)
	got, err := decodeEntries(b)
	require.NoError(t, err)
	assert.Equal(t, es, got)

	_, err = encodeEntries([]entry{{Key: "b", Status: state.ItemDone}, {Key: "a", Status: state.ItemDone}})
	require.Error(t, err, "entries must be in key order")
	_, err = encodeEntries([]entry{{Key: "b", Status: "LOST"}})
	require.Error(t, err)
	_, err = decodeEntries([]byte{9, 0})
	require.Error(t, err, "a version this build does not know")
	_, err = decodeEntries(b[:len(b)/2])
	require.Error(t, err, "a truncated item")
}

// A settled 200-object batch of small files stays a few kilobytes: the sizes the
// benchmark's bill rests on.
func TestJobCodecSize(t *testing.T) {
	var es []entry
	for i := 0; i < 200; i++ {
		es = append(es, entry{Key: fmt.Sprintf("%03d/obj-%06d", i%50, i), Size: 16384, Status: state.ItemInProgress})
	}
	sortEntries(es)
	inFlight, err := encodeEntries(es)
	require.NoError(t, err)
	for i := range es {
		sum := md5.Sum([]byte(es[i].Key)) // as random as real ETags and checksums
		etag := hex.EncodeToString(sum[:])
		es[i].Status, es[i].ETag, es[i].DestETag, es[i].Attempts = state.ItemDone, etag, etag, 1
		es[i].Checksum = "CRC64NVME:" + base64.StdEncoding.EncodeToString(sum[8:])
		es[i].LastModified, es[i].Updated = 1_700_000_000_000_000_000+int64(i)*1_000_000, 1_800_000_000_000_000_000
	}
	done, err := encodeEntries(es)
	require.NoError(t, err)
	t.Logf("200 objects: %d bytes in flight, %d bytes settled", len(inFlight), len(done))
	assert.Less(t, len(inFlight), 1200)
	assert.Less(t, len(done), 6500)
}

func sortEntries(es []entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Key < es[j-1].Key; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func TestSortKeys(t *testing.T) {
	short := "a/b"
	assert.Equal(t, short, skKey(short))
	long := strings.Repeat("é", 600) // 1,200 bytes
	k := skKey(long)
	assert.LessOrEqual(t, len("20261205T000000.000000000-abcdef01#"+k), 1024)
	assert.True(t, strings.HasPrefix(k, truncKey(long)))
	assert.Equal(t, 0, len(truncKey(long))%2, "cut at a character boundary")
	assert.NotEqual(t, k, skKey(long+"x"), "long keys sharing a prefix get distinct sort keys")
	assert.Equal(t, truncKey(long), firstBound("run#"+k))
	assert.LessOrEqual(t, "run#"+k, skBound("run", long+"zzz"))
}
