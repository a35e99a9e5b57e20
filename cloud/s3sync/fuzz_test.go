package s3sync

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzzing (go test -fuzz=FuzzX ./cloud/s3sync; seed corpora in testdata/fuzz): whatever
// arrives on a queue, a worker must neither panic nor misread it, and every key must
// travel unchanged.

// Job messages: decoding never panics; what decodes encodes back to the same job.
func FuzzJobMessage(f *testing.F) {
	job, _ := EncodeJob(Job{Run: "r1", Objects: []JobObject{{Key: "a/b c.txt", Size: 12, ETag: "e1", MTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{Key: string([]byte{0xff, 'k'}), Size: 1}}, Attempt: 2})
	f.Add(job)
	f.Add([]byte(`{"v":1,"run":"r","objects":[{"keyB64":"/2s=","size":1}]}`))
	f.Add([]byte(`{"v":1,"run":"r","objects":[{"key":"x","keyB64":"!!","size":-1}]}`))
	f.Add([]byte(`{"v":2}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = Classify(body)
		j, err := DecodeJob(body)
		if err != nil {
			return
		}
		again, err := EncodeJob(j)
		if err != nil {
			t.Fatalf("a decoded job does not encode: %v", err)
		}
		j2, err := DecodeJob(again)
		if err != nil {
			t.Fatalf("an encoded job does not decode: %v\n%s", err, again)
		}
		if len(j2.Objects) != len(j.Objects) || j2.Run != j.Run || j2.Attempt != j.Attempt {
			t.Fatalf("job changed on the way: %+v -> %+v", j, j2)
		}
		for i := range j.Objects {
			a, b := j.Objects[i], j2.Objects[i]
			if a.Key != b.Key || a.Size != b.Size || a.ETag != b.ETag || !a.MTime.Equal(b.MTime) {
				t.Fatalf("object %d changed: %+v -> %+v", i, a, b)
			}
		}
	})
}

// Keys of any bytes (local file names need not be UTF-8) travel unchanged.
func FuzzJobKey(f *testing.F) {
	for _, k := range []string{"a", "ünïcødé/日本語", "a+b%2F?#", "\xff\xfe", "k\x00ey", " ", strings.Repeat("x/", 512)} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		body, err := EncodeJob(Job{Run: "r", Objects: []JobObject{{Key: key, Size: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(body) {
			t.Fatalf("the message is not UTF-8 (JSON must be): %q", body)
		}
		j, err := DecodeJob(body)
		if err != nil {
			t.Fatal(err)
		}
		if j.Objects[0].Key != key {
			t.Fatalf("key %q arrived as %q", key, j.Objects[0].Key)
		}
		part, err := EncodePart(PartJob{Run: "r", Object: JobObject{Key: key, Size: 10}, UploadID: "u", Part: 1, Parts: 1, PartSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		p, err := DecodePart(part)
		if key != "" && (err != nil || p.Object.Key != key) {
			t.Fatalf("part of key %q: %v, %q", key, err, p.Object.Key)
		}
	})
}

// Part messages: decoding never panics; a part that decodes lies inside its object.
func FuzzPartMessage(f *testing.F) {
	p, _ := EncodePart(PartJob{Run: "r", Object: JobObject{Key: "g", Size: 29 << 20, ETag: "x-4"}, UploadID: "u", Part: 3, Parts: 4,
		PartSize: 10 << 20, Offset: 14 << 20, Length: 10 << 20, SourceLayout: true, CRC: true, SourceCRC: "AAAAAAAAAAA="})
	f.Add(p)
	f.Add([]byte(`{"v":1,"kind":"part","run":"r","object":{"key":"g","size":20971520},"uploadId":"u","part":3,"parts":3,"partSize":8388608}`))
	f.Add([]byte(`{"v":1,"kind":"part","run":"r","object":{"key":"g","size":5},"uploadId":"u","part":1,"parts":1,"partSize":5,"offset":3,"length":9}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = Classify(body)
		pj, err := DecodePart(body)
		if err != nil {
			return
		}
		if pj.Length > 0 {
			off, n := pj.span()
			if off < 0 || n <= 0 || off+n > pj.Object.Size {
				t.Fatalf("part %d spans %d+%d of an object of %d", pj.Part, off, n, pj.Object.Size)
			}
		}
		again, err := EncodePart(pj)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodePart(again); err != nil {
			t.Fatalf("an encoded part does not decode: %v", err)
		}
	})
}

// S3 event notifications (direct, through SNS, EventBridge): parsing never panics;
// every event it returns names a key, and such a message is classified as an event.
func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a+b%2Fc","size":1,"eTag":"e","sequencer":"0055AED6DCD90281E5"}}}]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"%ZZ"}}}]}`))
	f.Add([]byte(`{"version":"0","detail-type":"Object Deleted","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{"key":"k","etag":"e","sequencer":"02"}}}`))
	f.Add([]byte(`{"Type":"Notification","Message":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"k\"}}}]}"}`))
	f.Add([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := ParseEvents(body)
		if err != nil || len(evs) == 0 {
			return
		}
		for _, ev := range evs {
			if ev.Key == "" {
				t.Fatalf("an event without a key: %+v", ev)
			}
		}
		if k, err := Classify(body); err != nil || k != KindEvent {
			t.Fatalf("events parsed from a message classified %v (%v)", k, err)
		}
	})
}

// Sequencers order events of one key: an order (antisymmetric, and the padded form
// sorts as the value does).
func FuzzSequencers(f *testing.F) {
	f.Add("0055AED6DCD90281E5", "0055AED6DCD90281E6")
	f.Add("", "00")
	f.Add("ff", "0FF")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareSequencers(a, b), CompareSequencers(b, a)
		if ab != -ba {
			t.Fatalf("Compare(%q,%q)=%d but Compare(%q,%q)=%d", a, b, ab, b, a, ba)
		}
		if _, err := hex.DecodeString(strings.Repeat("0", len(a)%2) + a); err != nil {
			return
		}
		if _, err := hex.DecodeString(strings.Repeat("0", len(b)%2) + b); err != nil {
			return
		}
		pa, pb := PadSequencer(a), PadSequencer(b)
		if len(pa) == 40 && len(pb) == 40 && bytes.Compare([]byte(pa), []byte(pb)) != ab {
			t.Fatalf("padded %q vs %q sorts unlike %d", pa, pb, ab)
		}
	})
}
