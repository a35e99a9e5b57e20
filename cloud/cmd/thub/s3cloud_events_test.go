package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/internal/s3test"
	"transferhub/cloud/queue/sqsqueue"
	"transferhub/cloud/state"
)

type s3Rec struct {
	name, key string
	size      int64
	etag, seq string
}

// s3Notification renders an S3 event notification as S3 sends it to SQS: keys
// URL-encoded (a space is "+").
func s3Notification(bucket string, recs ...s3Rec) []byte {
	type obj struct {
		Key       string `json:"key"`
		Size      int64  `json:"size,omitempty"`
		ETag      string `json:"eTag,omitempty"`
		Sequencer string `json:"sequencer"`
	}
	var out struct {
		Records []map[string]any `json:"Records"`
	}
	for _, r := range recs {
		out.Records = append(out.Records, map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
			"eventTime": time.Now().UTC().Format(time.RFC3339), "eventName": r.name,
			"s3": map[string]any{"s3SchemaVersion": "1.0", "configurationId": "thub",
				"bucket": map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
				"object": obj{Key: strings.ReplaceAll(url.QueryEscape(r.key), "%2F", "/"), Size: r.size, ETag: r.etag, Sequencer: r.seq}},
		})
	}
	b, _ := json.Marshal(out)
	return b
}

// bridgeEvent renders an EventBridge S3 event delivered to the queue by a rule (keys
// not encoded).
func bridgeEvent(detailType, bucket string, r s3Rec) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": detailType, "source": "aws.s3",
		"account": "123456789012", "time": time.Now().UTC().Format(time.RFC3339), "region": "us-east-1",
		"resources": []string{"arn:aws:s3:::" + bucket},
		"detail": map[string]any{"version": "0", "bucket": map[string]any{"name": bucket},
			"object":     map[string]any{"key": r.key, "size": r.size, "etag": r.etag, "sequencer": r.seq},
			"request-id": "X", "requester": "123456789012", "reason": "PutObject"},
	})
	return b
}

// S3 events on the job queue: ObjectCreated copies, ObjectRemoved deletes the copy,
// multi-record messages and EventBridge events work, and an event older than the one
// applied for its key is ignored.
func TestFleetS3Events(t *testing.T) {
	f, a, b, srcB, dst := newFleetBuckets(t, 5, "ev")
	f.sides(a, srcB, b, dst, "")
	// The product's default visibility: nothing is killed here, and the counts below are
	// exact per delivery. A 6 s one lapses when a loaded machine delays a heartbeat by
	// 4 s; the event is then applied again (counted twice, or deleted twice), as
	// testFleetTransfer once saw for a copy.
	f.env = append(f.env, "THUB_EVENTS=create-and-delete", "THUB_VISIBILITY=30s")
	ctx := context.Background()
	body := map[string][]byte{}
	etag := map[string]string{}
	for _, k := range []string{"ev/a.txt", "ev/b c.txt", "ev/c d.txt", "ev/e.txt", "ev/f.txt", "ev/h.txt"} {
		body[k] = s3test.RandBytes(200 + len(k))
		a.Put(t, srcB, k, body[k], nil)
		out, err := a.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srcB), Key: aws.String(k)})
		require.NoError(t, err)
		etag[k] = strings.Trim(aws.ToString(out.ETag), `"`)
	}
	q := sqsqueue.New(f.sqs, f.queueURL, "")
	send := func(msgs ...[]byte) { require.NoError(t, q.Send(ctx, msgs...)) }
	f.startWorker()

	send([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-25T10:00:00.000Z","Bucket":"`+srcB+`","RequestId":"X","HostId":"Y"}`),
		s3Notification(srcB, s3Rec{"ObjectCreated:Put", "ev/a.txt", int64(len(body["ev/a.txt"])), etag["ev/a.txt"], "0055AED6DCD9028110"}),
		bridgeEvent("Object Created", srcB, s3Rec{"", "ev/b c.txt", int64(len(body["ev/b c.txt"])), etag["ev/b c.txt"], "0055AED6DCD9028111"}),
		s3Notification(srcB, s3Rec{"ObjectCreated:Put", "ev/c d.txt", int64(len(body["ev/c d.txt"])), etag["ev/c d.txt"], "0055AED6DCD9028112"}),
		// Multi-record: both records are applied (DTH skipped such messages).
		s3Notification(srcB,
			s3Rec{"ObjectCreated:Put", "ev/e.txt", int64(len(body["ev/e.txt"])), etag["ev/e.txt"], "0055AED6DCD9028113"},
			s3Rec{"ObjectCreated:CompleteMultipartUpload", "ev/f.txt", int64(len(body["ev/f.txt"])), etag["ev/f.txt"], "0055AED6DCD9028114"}),
		s3Notification("not-the-source", s3Rec{"ObjectCreated:Put", "ev/zzz.txt", 1, "", "01"}),
		s3Notification(srcB, s3Rec{"ObjectCreated:Put", "ev/h.txt", int64(len(body["ev/h.txt"])), etag["ev/h.txt"], "0055AED6DCD9028130"}),
	)
	waitDst := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			var got []string
			for _, o := range b.List(t, dst, "") {
				got = append(got, o.Key)
			}
			if strings.Join(got, "|") == strings.Join(want, "|") {
				return
			}
			require.True(t, time.Now().Before(deadline), "destination has %q, want %q", got, want)
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitQueue := func() {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for v, i := f.depth(f.queueURL); v+i > 0; v, i = f.depth(f.queueURL) {
			require.True(t, time.Now().Before(deadline), "queue not drained")
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitDst([]string{"ev/a.txt", "ev/b c.txt", "ev/c d.txt", "ev/e.txt", "ev/f.txt", "ev/h.txt"})
	waitQueue()

	// Removals, and events that arrive after newer ones of their key.
	_, err := a.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(srcB), Key: aws.String("ev/a.txt")})
	require.NoError(t, err)
	_, err = a.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(srcB), Key: aws.String("ev/b c.txt")})
	require.NoError(t, err)
	send(s3Notification(srcB, s3Rec{"ObjectRemoved:Delete", "ev/a.txt", 0, "", "0055AED6DCD9028140"}),
		bridgeEvent("Object Deleted", srcB, s3Rec{"", "ev/b c.txt", 0, "", "0055AED6DCD9028141"}),
		// Older than the creation applied for h.txt: must not delete the copy.
		s3Notification(srcB, s3Rec{"ObjectRemoved:Delete", "ev/h.txt", 0, "", "0055AED6DCD9028125"}),
		// Older than the creation applied for e.txt (shorter hex, smaller value).
		s3Notification(srcB, s3Rec{"ObjectCreated:Put", "ev/e.txt", 10, "0123456789abcdef0123456789abcdef", "55AED6DCD90281"}),
	)
	waitDst([]string{"ev/c d.txt", "ev/e.txt", "ev/f.txt", "ev/h.txt"})
	waitQueue()
	for _, k := range []string{"ev/c d.txt", "ev/e.txt", "ev/f.txt", "ev/h.txt"} {
		require.Equal(t, body[k], b.Get(t, dst, k), "bytes of %q", k)
	}
	f.stopAll()
	st := f.workerStats()
	require.Equal(t, int64(2), st.Stale, "the two out-of-order events were ignored")
	require.Equal(t, int64(8), st.Events, "events applied: 6 creations, 2 removals")
	require.Zero(t, st.DeadLettered)
	logs := f.logs()
	require.Contains(t, logs, `"msg":"stale event ignored","task":"`+f.taskID+`","role":"worker","key":"ev/h.txt"`)
	require.Contains(t, logs, `"msg":"event outside the task's source ignored"`)
	require.Equal(t, 2, strings.Count(logs, `"outcome":"DELETED"`))
	o, err := f.store.GetObject(ctx, f.taskID, "ev/c d.txt")
	require.NoError(t, err)
	require.Equal(t, state.ItemDone, o.Status, "event copies are recorded in the task's run")
	tk, err := f.store.GetTask(ctx, f.taskID)
	require.NoError(t, err)
	require.Equal(t, int64(6), tk.Counters.DoneObjects)
	v, i := f.depth(f.dlqURL)
	require.Zero(t, v+i)
}
