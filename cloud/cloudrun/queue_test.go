package cloudrun

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/queue"
	"transferhub/cloud/s3sync"
)

type sink struct {
	queue.Queue
	sent [][]byte
}

func (s *sink) Send(_ context.Context, bodies ...[]byte) error {
	s.sent = append(s.sent, bodies...)
	return nil
}

// 200 keys of 1,024 bytes that JSON must escape (quotes, control characters) or that
// travel base64-encoded (not UTF-8) do not fit one SQS message: the batch goes as several.
func TestSplittingKeepsMessagesUnderTheLimit(t *testing.T) {
	var objs []s3sync.JobObject
	for i := 0; i < 200; i++ {
		objs = append(objs, s3sync.JobObject{Key: strings.Repeat(`"`, 1000) + fmt.Sprintf("%024d", i), Size: int64(i), MTime: time.Unix(1700000000, 0)})
	}
	big, err := s3sync.EncodeJob(s3sync.Job{Run: "r1", Objects: objs})
	require.NoError(t, err)
	require.Greater(t, len(big), 256<<10)
	small, _ := s3sync.EncodeJob(s3sync.Job{Run: "r1", Objects: objs[:3]})
	s := &sink{}
	require.NoError(t, Splitting{Queue: s}.Send(context.Background(), big, small, []byte(`{"v":1,"kind":"part"}`)))
	var keys []string
	for i, b := range s.sent {
		require.LessOrEqual(t, len(b), 250<<10, "message %d", i)
		if i >= len(s.sent)-2 {
			continue
		}
		j, err := s3sync.DecodeJob(b)
		require.NoError(t, err)
		require.Equal(t, "r1", j.Run)
		for _, o := range j.Objects {
			keys = append(keys, o.Key)
		}
	}
	require.Equal(t, small, s.sent[len(s.sent)-2], "small messages pass unchanged")
	require.Len(t, keys, 200, "every object once, in order")
	for i, k := range keys {
		require.Equal(t, objs[i].Key, k)
	}
}
