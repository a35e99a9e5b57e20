package credentials

import (
	"errors"
	"fmt"
	"sync"

	"github.com/zalando/go-keyring"
)

// ErrSecretNotFound is what a Keychain returns from Get and Delete when it holds no
// secret for the service and user.
var ErrSecretNotFound = errors.New("secret not found in the keychain")

// Keychain stores small secrets by service and user name: the OS keychain in the app
// (macOS Keychain, Windows Credential Manager, Secret Service on Linux), memory in tests.
type Keychain interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// OSKeychain is the operating system's keychain through go-keyring. On Linux it needs
// a Secret Service (gnome-keyring, KWallet) on the session D-Bus.
type OSKeychain struct{}

// Get returns the secret, or ErrSecretNotFound.
func (OSKeychain) Get(service, user string) (string, error) {
	s, err := keyring.Get(service, user)
	return s, osErr(err)
}

// Set stores or replaces the secret.
func (OSKeychain) Set(service, user, secret string) error {
	return osErr(keyring.Set(service, user, secret))
}

// Delete removes the secret, or returns ErrSecretNotFound.
func (OSKeychain) Delete(service, user string) error {
	return osErr(keyring.Delete(service, user))
}

// osErr maps go-keyring's not-found to ours and leaves other failures (no Secret
// Service, locked collection, value too large) as they are: their text names no secret.
func osErr(err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrSecretNotFound
	}
	return err
}

// MemoryKeychain is an in-memory Keychain for tests. It is safe for concurrent use; Fail
// makes every later call return that error (a locked or missing keychain).
type MemoryKeychain struct {
	mu   sync.Mutex
	m    map[string]string
	fail error
}

// NewMemoryKeychain returns an empty in-memory keychain.
func NewMemoryKeychain() *MemoryKeychain { return &MemoryKeychain{m: map[string]string{}} }

func memKey(service, user string) string { return service + "\x00" + user }

// Get returns the secret, or ErrSecretNotFound.
func (k *MemoryKeychain) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return "", k.fail
	}
	s, ok := k.m[memKey(service, user)]
	if !ok {
		return "", ErrSecretNotFound
	}
	return s, nil
}

// Set stores or replaces the secret.
func (k *MemoryKeychain) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	k.m[memKey(service, user)] = secret
	return nil
}

// Delete removes the secret, or returns ErrSecretNotFound.
func (k *MemoryKeychain) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	key := memKey(service, user)
	if _, ok := k.m[key]; !ok {
		return ErrSecretNotFound
	}
	delete(k.m, key)
	return nil
}

// Fail makes every later call return err (nil: work again).
func (k *MemoryKeychain) Fail(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fail = err
}

// Len is the number of stored secrets.
func (k *MemoryKeychain) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}

// keychainError says the keychain could not be used, in words that point to a fix,
// wrapping ErrKeychain (and the cause, whose text never holds a secret).
func keychainError(doing string, err error) error {
	return fmt.Errorf("%s: %w: %w", doing, ErrKeychain, err)
}

// ErrKeychain marks a failure of the OS keychain itself (not running, locked, refused).
var ErrKeychain = errors.New("the system keychain could not be used (is it unlocked? on Linux a Secret Service such as gnome-keyring must run)")
