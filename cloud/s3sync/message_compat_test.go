package s3sync

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Rolling upgrades: while a task stack is updated, workers of the old and the new agent
// take messages from the same queue. A message of today's format stays readable by a
// worker of the next minor version and the other way round: fields a newer agent adds
// are ignored by an older one, and the names of today's fields never change (they are
// pinned here byte for byte; a change needs a new message version "v").

func TestJobMessagesKeepTheirWireForm(t *testing.T) {
	mtime := time.Date(2026, 11, 25, 22, 40, 1, 0, time.UTC)
	job, err := EncodeJob(Job{Run: "20261126T004414.431322058-b351e8b2", Objects: []JobObject{
		{Key: "d0/a b.txt", Size: 542, ETag: "0cc175b9c0f1b6a831c399e269772661", MTime: mtime},
		{Key: string([]byte{0xff, 'k'}), Size: 1},
	}, Attempt: 2})
	require.NoError(t, err)
	require.JSONEq(t, `{"v":1,"run":"20261126T004414.431322058-b351e8b2","objects":[
		{"key":"d0/a b.txt","size":542,"etag":"0cc175b9c0f1b6a831c399e269772661","mtime":"2026-11-25T22:40:01Z"},
		{"keyB64":"/2s=","size":1}],"attempt":2}`, string(job))

	part, err := EncodePart(PartJob{Run: "r1", Object: JobObject{Key: "d3/giant.bin", Size: 57671680, ETag: "9b2cf535f27731c974343645a3985328-11"},
		UploadID: "up-1", Part: 3, Parts: 11, PartSize: 5242880, SourceLayout: true, CRC: true, SourceCRC: "AAAAAAAAAAA=", Attempt: 1})
	require.NoError(t, err)
	require.JSONEq(t, `{"v":1,"kind":"part","run":"r1","object":{"key":"d3/giant.bin","size":57671680,"etag":"9b2cf535f27731c974343645a3985328-11"},
		"uploadId":"up-1","part":3,"parts":11,"partSize":5242880,"sourceLayout":true,"crc":true,"sourceCRC":"AAAAAAAAAAA=","attempt":1}`, string(part))
}

func TestMessagesWithFieldsOfANewerAgentAreRead(t *testing.T) {
	// Today's messages with fields a later minor version might add, at the top and
	// inside objects.
	job := `{"v":1,"kind":"objects","run":"r1","priority":3,"origin":{"finder":"f-2"},"objects":[
		{"key":"a/b.txt","size":12,"etag":"e1","mtime":"2026-11-25T22:40:01Z","storageClass":"GLACIER_IR","checksum":{"crc64nvme":"x"}},
		{"keyB64":"/2s=","size":1,"versionId":"v7"}],"attempt":1,"trace":"abc"}`
	kind, err := Classify([]byte(job))
	require.NoError(t, err)
	require.Equal(t, KindJob, kind)
	j, err := DecodeJob([]byte(job))
	require.NoError(t, err)
	require.Equal(t, Job{V: 1, Run: "r1", Attempt: 1, Objects: []JobObject{
		{Key: "a/b.txt", Size: 12, ETag: "e1", MTime: time.Date(2026, 11, 25, 22, 40, 1, 0, time.UTC)},
		{Key: string([]byte{0xff, 'k'}), Size: 1},
	}}, j)

	part := `{"v":1,"kind":"part","run":"r1","object":{"key":"g","size":20,"etag":"t-2","sse":"aws:kms"},"uploadId":"u",
		"part":2,"parts":2,"partSize":10,"sourceLayout":true,"range":"bytes=10-19","checksumType":"FULL_OBJECT"}`
	kind, err = Classify([]byte(part))
	require.NoError(t, err)
	require.Equal(t, KindPart, kind)
	p, err := DecodePart([]byte(part))
	require.NoError(t, err)
	require.Equal(t, PartJob{V: 1, Kind: "part", Run: "r1", Object: JobObject{Key: "g", Size: 20, ETag: "t-2"}, UploadID: "u",
		Part: 2, Parts: 2, PartSize: 10, SourceLayout: true}, p)

	// A message of another version is refused with what it is, not misread.
	_, err = Classify([]byte(`{"v":2,"run":"r1","objects":[]}`))
	require.ErrorContains(t, err, "message version 2")
}
