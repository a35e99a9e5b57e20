package harness

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// emulatorURL is the address of one of the emulator's own endpoints, path /_thub/...
// (build/testenv/moto_server.py).
func (h *Harness) emulatorURL(path string) string {
	return strings.TrimSuffix(aws.ToString(h.cfg.AWS.BaseEndpoint), "/") + path
}

// send sends one request (body may be nil) and reads the whole answer. The response is
// nil when there was none; a body that could not be read is the error, with the
// response.
func send(ctx context.Context, method, url string, body io.Reader) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}
