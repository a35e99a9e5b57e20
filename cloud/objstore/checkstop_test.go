package objstore_test

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/objstore"
)

// A check interrupted while the endpoint has not answered yet (Ctrl-C, or SIGTERM to a
// finder the app stopped) says it was interrupted: not that the endpoint gave no answer
// within 60 s, which sent thub's exit to 2 (failed) instead of 130 (interrupted).
func TestCheckInterruptedIsNotUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		conn, err := ln.Accept() // the request arrives and is never answered
		if err != nil {
			return
		}
		defer conn.Close()
		cancel()
		<-ctx.Done()
		buf := make([]byte, 1)
		_, _ = conn.Read(buf) // until the client gives up
	}()
	loc, err := objstore.OpenS3(context.Background(), "bucket", "", objstore.S3Config{Provider: "other", Endpoint: "http://" + ln.Addr().String(),
		Region: "us-east-1", PathStyle: "path", AccessKey: "k", SecretKey: "s"})
	require.NoError(t, err)
	err = loc.Check(ctx, false)
	require.ErrorIs(t, err, context.Canceled)
	require.NotContains(t, err.Error(), "no answer within")
}
