package assets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"time"
)

// fixedTime stamps every file of the Lambda zip and the image layer: the same agent
// gives the same bytes, so the same key and digest, on every build.
var fixedTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// LambdaZip packages the linux/arm64 agent as the custom runtime's bootstrap
// (provided.al2023): byte-identical for the same agent.
func LambdaZip(arm64Agent []byte) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: fixedTime}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("build the Lambda zip: %w", err)
	}
	if _, err := w.Write(arm64Agent); err != nil {
		return nil, fmt.Errorf("build the Lambda zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("build the Lambda zip: %w", err)
	}
	return b.Bytes(), nil
}
