package s3sync

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClassifyMessages(t *testing.T) {
	job, _ := EncodeJob(Job{Run: "r", Objects: []JobObject{{Key: "a b", Size: 1}}})
	part, _ := EncodePart(PartJob{Run: "r", Object: JobObject{Key: "g", Size: 10 << 20}, UploadID: "u", Part: 1, Parts: 2, PartSize: 5 << 20})
	cases := []struct {
		body string
		want MessageKind
		err  string
	}{
		{string(job), KindJob, ""},
		{string(part), KindPart, ""},
		{`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k","size":1,"sequencer":"01"}}}]}`, KindEvent, ""},
		{`{"version":"0","detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k","sequencer":"02"}}}`, KindEvent, ""},
		{`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`, KindTestEvent, ""},
		{`{"Type":"Notification","Message":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\"}}}]}"}`, KindEvent, ""},
		{`{"v":2,"run":"r"}`, 0, "version 2"},
		{`{"hello":"world"}`, 0, "neither a Transfer Hub job nor an S3 event"},
		{`not json`, 0, "not JSON"},
	}
	for _, c := range cases {
		k, err := Classify([]byte(c.body))
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.body)
			continue
		}
		require.NoError(t, err, c.body)
		require.Equal(t, c.want, k, c.body)
	}
}

func TestDecodePartRefusesIncompleteParts(t *testing.T) {
	b, _ := EncodePart(PartJob{Run: "r", Object: JobObject{Key: "g"}, UploadID: "u", Part: 3, Parts: 2, PartSize: 1})
	_, err := DecodePart(b)
	require.ErrorContains(t, err, "incomplete part 3/2")
	b, _ = EncodePart(PartJob{Run: "r", Object: JobObject{Key: "k\u00e9y \"q\""}, UploadID: "u", Part: 2, Parts: 2, PartSize: 5})
	p, err := DecodePart(b)
	require.NoError(t, err)
	require.Equal(t, "k\u00e9y \"q\"", p.Object.Key, "keys are JSON-encoded, unlike DTH's part messages")
}

// A part of a layout of unequal parts travels with its own offset and length; an old
// message without them places the part by the part size.
func TestPartJobSpan(t *testing.T) {
	b, err := EncodePart(PartJob{Run: "r", Object: JobObject{Key: "g", Size: 29 << 20}, UploadID: "u", Part: 3, Parts: 4,
		PartSize: 10 << 20, Offset: 14 << 20, Length: 10 << 20, SourceLayout: true})
	require.NoError(t, err)
	p, err := DecodePart(b)
	require.NoError(t, err)
	off, n := p.span()
	require.Equal(t, [2]int64{14 << 20, 10 << 20}, [2]int64{off, n})
	p, err = DecodePart([]byte(`{"v":1,"kind":"part","run":"r","object":{"key":"g","size":20971520},"uploadId":"u","part":3,"parts":3,"partSize":8388608}`))
	require.NoError(t, err)
	off, n = p.span()
	require.Equal(t, [2]int64{16 << 20, 4 << 20}, [2]int64{off, n})
	b, _ = EncodePart(PartJob{Run: "r", Object: JobObject{Key: "g", Size: 10}, UploadID: "u", Part: 1, Parts: 1, PartSize: 10, Offset: 5, Length: 10})
	_, err = DecodePart(b)
	require.Error(t, err, "a part beyond the object")
}

func TestParseEvents(t *testing.T) {
	// S3 notifications URL-encode keys with form encoding; two records in one message.
	evs, err := ParseEvents([]byte(`{"Records":[
		{"eventSource":"aws:s3","eventName":"ObjectCreated:CompleteMultipartUpload","s3":{"bucket":{"name":"src"},"object":{"key":"dir/a+b%2Bc%C3%A9.txt","size":5,"eTag":"\"abc\"","sequencer":"0055AED6DCD90281E5"}}},
		{"eventSource":"aws:s3","eventName":"ObjectRemoved:DeleteMarkerCreated","s3":{"bucket":{"name":"src"},"object":{"key":"x","sequencer":"0055AED6DCD90281E6"}}},
		{"eventSource":"aws:s3","eventName":"ObjectRestore:Completed","s3":{"bucket":{"name":"src"},"object":{"key":"y"}}},
		{"eventSource":"aws:sqs","eventName":"whatever"}]}`))
	require.NoError(t, err)
	require.Equal(t, []ObjectEvent{
		{Bucket: "src", Key: "dir/a b+cé.txt", Size: 5, ETag: "abc", Sequencer: "0055AED6DCD90281E5", Name: "ObjectCreated:CompleteMultipartUpload"},
		{Bucket: "src", Key: "x", Sequencer: "0055AED6DCD90281E6", Removed: true, Name: "ObjectRemoved:DeleteMarkerCreated"},
	}, evs)
	// EventBridge keys are not encoded.
	evs, err = ParseEvents([]byte(`{"version":"0","detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"src"},"object":{"key":"raw/a+b c:d.zip","size":7,"etag":"e-2","sequencer":"0064D3901D00059242"}}}`))
	require.NoError(t, err)
	require.Equal(t, []ObjectEvent{{Bucket: "src", Key: "raw/a+b c:d.zip", Size: 7, ETag: "e-2", Sequencer: "0064D3901D00059242", Name: "Object Created"}}, evs)
	_, err = ParseEvents([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%zz"}}}]}`))
	require.ErrorContains(t, err, "undecodable key")
}

func TestCompareSequencers(t *testing.T) {
	require.Equal(t, 1, CompareSequencers("0055AED6DCD9028113", "55AED6DCD90281"), "longer hex (ignoring leading zeros) is later")
	require.Equal(t, -1, CompareSequencers("0055aed6dcd90281e5", "0055AED6DCD90281E6"), "case does not matter")
	require.Equal(t, 0, CompareSequencers("00AB", "AB"))
	require.Equal(t, -1, CompareSequencers("", "01"))
	require.Less(t, PadSequencer("55AED6DCD90281"), PadSequencer("0055AED6DCD9028113"), "padded strings sort as numbers")
	require.Len(t, PadSequencer("1"), 40)
}
