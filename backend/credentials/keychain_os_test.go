package credentials

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/testenv"
)

// TestOSKeychain talks to the real Secret Service (run under build/scripts/with-keyring.sh).
func TestOSKeychain(t *testing.T) {
	testenv.Load(t).Require(t, testenv.Keyring)
	var kc Keychain = OSKeychain{}
	service := "transferhub-credentials-test"
	user := testenv.Name("profile")
	t.Cleanup(func() { _ = kc.Delete(service, user) })

	_, err := kc.Get(service, user)
	require.ErrorIs(t, err, ErrSecretNotFound)
	require.ErrorIs(t, kc.Delete(service, user), ErrSecretNotFound)

	secret := `{"password":"pä ss \"quoted\""}`
	require.NoError(t, kc.Set(service, user, secret))
	got, err := kc.Get(service, user)
	require.NoError(t, err)
	assert.Equal(t, secret, got)

	require.NoError(t, kc.Set(service, user, "rotated"))
	got, err = kc.Get(service, user)
	require.NoError(t, err)
	assert.Equal(t, "rotated", got)

	require.NoError(t, kc.Delete(service, user))
	_, err = kc.Get(service, user)
	require.ErrorIs(t, err, ErrSecretNotFound)
}

// TestManagerOnOSKeychain runs a profile's whole life on the real keychain: the secret
// is there after Save, Resolve reads it back, Delete removes the entry.
func TestManagerOnOSKeychain(t *testing.T) {
	testenv.Load(t).Require(t, testenv.Keyring)
	ctx := context.Background()
	kc := OSKeychain{}
	m := NewManager(filepath.Join(t.TempDir(), FileName), kc, nil)
	p, err := m.Save(ctx, Profile{Name: testenv.Name("reg"), Kind: KindRegistry, Host: "registry.example.com", Username: "robot"},
		&Secret{Password: "token-" + testenv.Name("x")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = kc.Delete(KeychainService, keychainUser(p.ID)) })
	assert.True(t, p.SecretSet)

	raw, err := kc.Get(KeychainService, keychainUser(p.ID))
	require.NoError(t, err)
	assert.Contains(t, raw, `"password":"token-`)

	r, err := m.Resolve(ctx, p.ID)
	require.NoError(t, err)
	assert.Contains(t, r.Secret.Password, "token-")

	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.True(t, list[0].SecretSet)

	require.NoError(t, m.Delete(ctx, p.ID))
	_, err = kc.Get(KeychainService, keychainUser(p.ID))
	require.ErrorIs(t, err, ErrSecretNotFound, "deleting the profile deletes its keychain entry")
}
