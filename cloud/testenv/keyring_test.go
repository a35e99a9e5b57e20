package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zalando/go-keyring"

	"transferhub/cloud/testenv"
)

// TestKeyring talks to the real Secret Service (gnome-keyring on the session D-Bus that
// build/scripts/with-keyring.sh starts).
func TestKeyring(t *testing.T) {
	testenv.Load(t).Require(t, testenv.Keyring)
	service := "transferhub-test"
	user := testenv.Name("profile")
	secret := "s3cr3t with spaces, ü and \"quotes\""

	_, err := keyring.Get(service, user)
	require.ErrorIs(t, err, keyring.ErrNotFound, "a secret never stored")

	require.NoError(t, keyring.Set(service, user, secret))
	t.Cleanup(func() { _ = keyring.Delete(service, user) })
	got, err := keyring.Get(service, user)
	require.NoError(t, err)
	require.Equal(t, secret, got)

	require.NoError(t, keyring.Set(service, user, "rotated"))
	got, err = keyring.Get(service, user)
	require.NoError(t, err)
	require.Equal(t, "rotated", got)

	require.NoError(t, keyring.Delete(service, user))
	_, err = keyring.Get(service, user)
	require.ErrorIs(t, err, keyring.ErrNotFound, "after delete")
	require.ErrorIs(t, keyring.Delete(service, user), keyring.ErrNotFound, "delete twice")
}
