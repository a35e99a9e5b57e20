package assets

import (
	"bytes"
	"encoding/pem"
	"errors"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// CABundle is the image's CA bundle: the Mozilla NSS roots as the Go project packages
// them (golang.org/x/crypto/x509roots/fallback, pinned in go.mod), so the image is the
// same whichever machine builds it. Roots with constraints a PEM file cannot express
// (distrust after a date) are left out.
func CABundle() ([]byte, error) {
	var b bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}); err != nil {
			return nil, err
		}
	}
	if b.Len() == 0 {
		return nil, errors.New("build the agent image: the CA bundle is empty")
	}
	return b.Bytes(), nil
}
