package objstore_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"transferhub/cloud/objstore"
)

func TestEncodeTags(t *testing.T) {
	require.Equal(t, "", objstore.EncodeTags(nil))
	got := objstore.EncodeTags(map[string]string{"team": "a b", "cost": "42", "path": "x/y&z=1+2", "ünï": "cødé"})
	require.Equal(t, "cost=42&path=x%2Fy%26z%3D1%2B2&team=a%20b&%C3%BCn%C3%AF=c%C3%B8d%C3%A9", got)
	v, err := url.ParseQuery(got)
	require.NoError(t, err)
	require.Equal(t, "x/y&z=1+2", v.Get("path"))
	require.Equal(t, "a b", v.Get("team"))
}
