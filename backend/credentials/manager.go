package credentials

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// KeychainService is the service name of every keychain entry the app writes; the user
// name is "profile/<id>", and the value the JSON of a Secret.
const KeychainService = "transfer-hub"

func keychainUser(id string) string { return "profile/" + id }

var (
	// ErrProfileNotFound: no profile has the given ID (deleted meanwhile?).
	ErrProfileNotFound = errors.New("credentials profile not found")
	// ErrSecretMissing: the keychain has no secret for a profile that needs one.
	ErrSecretMissing = errors.New("the secret of these credentials is not in the keychain")
	// ErrInUse: a profile that tasks still use cannot be deleted.
	ErrInUse = errors.New("credentials are in use")
)

// UsageChecker tells which tasks use a profile (their names), so that a profile in use
// is not deleted. The tasks service implements it; it must not call back into the Manager.
type UsageChecker interface {
	InUse(ctx context.Context, profileID string) ([]string, error)
}

// InUseError names the tasks that still use a profile.
type InUseError struct {
	Profile string
	Tasks   []string
}

func (e *InUseError) Error() string {
	what := "task " + quoteList(e.Tasks)
	if len(e.Tasks) > 1 {
		what = "tasks " + quoteList(e.Tasks)
	}
	return fmt.Sprintf("credentials %q are used by %s: delete those tasks or switch them to other credentials first", e.Profile, what)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Manager keeps the profiles: metadata in a JSON file, secrets in the keychain. It is
// safe for concurrent use; one Manager per file.
type Manager struct {
	path     string
	keychain Keychain
	log      *slog.Logger
	now      func() time.Time
	tester   connTester
	shared   func(ctx context.Context, name string) error
	write    func(path string, profiles []Profile) error // writeFile; replaced by tests to fail
	usage    UsageChecker                                // nil: every profile may be deleted

	mu sync.Mutex // serialises read-modify-write of the file and keychain
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the time source (tests).
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithUsageChecker sets the tasks' usage lookup (the task folder).
func WithUsageChecker(u UsageChecker) Option { return func(m *Manager) { m.usage = u } }

// WithTestTimeout bounds each connection test (default 20 s).
func WithTestTimeout(d time.Duration) Option { return func(m *Manager) { m.tester.timeout = d } }

// WithTestHTTPClient sends connection tests through this client (tests).
func WithTestHTTPClient(c *http.Client) Option {
	return func(m *Manager) { m.tester.httpClient = c }
}

// WithSharedProfileCheck replaces the check that an AWS shared-config profile exists.
func WithSharedProfileCheck(f func(ctx context.Context, name string) error) Option {
	return func(m *Manager) { m.shared = f }
}

// NewManager keeps profiles in the file at path (see DefaultFile) and secrets in kc.
func NewManager(path string, kc Keychain, log *slog.Logger, opts ...Option) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		path: path, keychain: kc, log: log, now: time.Now,
		tester: connTester{timeout: testTimeout, log: log},
		shared: sharedProfileExists, write: writeFile,
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Path is the profiles file.
func (m *Manager) Path() string { return m.path }

// List returns the profiles sorted by name, with SecretSet filled from the keychain.
// When the keychain cannot be read the profiles still come back (SecretSet false) with
// an error wrapping ErrKeychain; an unusable file gives an error wrapping ErrUnreadable.
func (m *Manager) List(ctx context.Context) ([]Profile, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	profiles, err := readFile(m.path)
	if err != nil {
		return nil, err
	}
	var kcErr error
	for i := range profiles {
		profiles[i].SecretSet = false
		if kcErr != nil || !profiles[i].needsSecret() {
			continue
		}
		s, err := m.storedSecret(profiles[i].ID)
		if err != nil {
			kcErr = err
			continue
		}
		profiles[i].SecretSet = s != nil
	}
	slices.SortStableFunc(profiles, func(a, b Profile) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	if kcErr != nil {
		return profiles, fmt.Errorf("list credentials: %w", kcErr)
	}
	return profiles, nil
}

// Get returns one profile (SecretSet filled), or an error wrapping ErrProfileNotFound.
func (m *Manager) Get(ctx context.Context, id string) (Profile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, _, err := m.lookup(ctx, id, "get")
	return p, err
}

// lookup reads the profile with id (SecretSet filled) and its stored secret, nil when it
// has none or needs none. action names the caller in errors; a keychain that cannot be
// read still gives the profile. The caller holds m.mu.
func (m *Manager) lookup(ctx context.Context, id, action string) (Profile, *Secret, error) {
	if err := ctx.Err(); err != nil {
		return Profile{}, nil, err
	}
	profiles, err := readFile(m.path)
	if err != nil {
		return Profile{}, nil, err
	}
	i := indexOf(profiles, id)
	if i < 0 {
		return Profile{}, nil, fmt.Errorf("%s credentials %s: %w", action, id, ErrProfileNotFound)
	}
	p := profiles[i]
	p.SecretSet = false
	if !p.needsSecret() {
		return p, nil, nil
	}
	s, err := m.storedSecret(id)
	if err != nil {
		return p, nil, fmt.Errorf("%s credentials %q: %w", action, p.Name, err)
	}
	p.SecretSet = s != nil
	return p, s, nil
}

// Save creates (empty ID) or updates a profile. secret nil keeps the stored secret;
// a non-nil secret replaces it whole. Invalid input returns an *invalid.Error and
// changes nothing. The profile is returned as stored (new ID, trimmed values).
func (m *Manager) Save(ctx context.Context, p Profile, secret *Secret) (Profile, error) {
	if err := ctx.Err(); err != nil {
		return Profile{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	profiles, err := readFile(m.path)
	if err != nil {
		return Profile{}, err
	}
	p = normalize(p)
	if secret != nil {
		s := normalizeSecret(*secret)
		secret = &s
	}

	var prev *Profile
	idx := -1
	if p.ID != "" {
		idx = indexOf(profiles, p.ID)
		if idx < 0 {
			return Profile{}, fmt.Errorf("save credentials %q: %w (deleted meanwhile?)", p.Name, ErrProfileNotFound)
		}
		prev = &profiles[idx]
	}
	var stored *Secret
	if prev != nil && prev.needsSecret() {
		if stored, err = m.storedSecret(prev.ID); err != nil {
			return Profile{}, fmt.Errorf("save credentials %q: %w", p.Name, err)
		}
	}
	others := slices.DeleteFunc(slices.Clone(profiles), func(o Profile) bool { return o.ID == p.ID && p.ID != "" })
	v := validation{p: p, secret: secret, prev: prev, stored: stored, others: others, sharedC: m.shared}
	if err := v.run(ctx); err != nil {
		return Profile{}, err
	}

	now := m.now().UTC()
	if prev == nil {
		if p.ID, err = newID(); err != nil {
			return Profile{}, err
		}
		p.CreatedAt = now
	} else {
		p.CreatedAt = prev.CreatedAt
	}
	p.UpdatedAt = now
	p.LastTest = nil // the settings changed: an earlier test says nothing about them

	// The keychain first: a profile is never written that points at a secret we failed
	// to store. On a failed file write the previous secret is put back.
	wroteSecret := false
	if p.needsSecret() && secret != nil {
		if err := m.setSecret(p.ID, *secret); err != nil {
			return Profile{}, fmt.Errorf("save credentials %q: %w", p.Name, err)
		}
		wroteSecret = true
	}
	p.SecretSet = p.needsSecret() && (secret != nil || stored != nil)

	next := slices.Clone(profiles)
	if idx >= 0 {
		next[idx] = p
	} else {
		next = append(next, p)
	}
	if err := m.write(m.path, next); err != nil {
		if wroteSecret {
			m.restoreSecret(p.ID, stored)
		}
		return Profile{}, fmt.Errorf("save credentials %q: %w", p.Name, err)
	}
	// A profile that switched to an AWS CLI profile no longer needs its keys.
	if !p.needsSecret() && stored != nil {
		if err := m.keychain.Delete(KeychainService, keychainUser(p.ID)); err != nil && !errors.Is(err, ErrSecretNotFound) {
			m.log.Warn("an unused secret could not be removed from the keychain", "profile", p.Name, "err", err)
		}
	}
	m.log.Info("credentials saved", "profile", p.Name, "kind", p.Kind, "new", prev == nil, "secretChanged", wroteSecret)
	return p, nil
}

// Delete removes a profile and its keychain entry. A profile that tasks use is kept and
// an *InUseError names them.
func (m *Manager) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := m.Get(ctx, id)
	if err != nil && !errors.Is(err, ErrKeychain) {
		return fmt.Errorf("delete credentials: %w", err)
	}
	// Asked outside the lock: the tasks service may be busy resolving credentials.
	if m.usage != nil {
		tasks, err := m.usage.InUse(ctx, id)
		if err != nil {
			return fmt.Errorf("delete credentials %q: check which tasks use them: %w", p.Name, err)
		}
		if len(tasks) > 0 {
			return &InUseError{Profile: p.Name, Tasks: tasks}
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	profiles, err := readFile(m.path)
	if err != nil {
		return err
	}
	idx := indexOf(profiles, id)
	if idx < 0 {
		return fmt.Errorf("delete credentials %q: %w", p.Name, ErrProfileNotFound)
	}
	// The secret goes first: a failure leaves the profile listed (and retryable), never
	// a secret in the keychain that no profile refers to.
	if err := m.keychain.Delete(KeychainService, keychainUser(id)); err != nil && !errors.Is(err, ErrSecretNotFound) {
		return fmt.Errorf("delete credentials %q: %w", p.Name, keychainError("remove the secret", err))
	}
	if err := m.write(m.path, slices.Delete(slices.Clone(profiles), idx, idx+1)); err != nil {
		return fmt.Errorf("delete credentials %q (its secret is already removed): %w", p.Name, err)
	}
	m.log.Info("credentials deleted", "profile", p.Name, "kind", p.Kind)
	return nil
}

// Resolve returns a profile with its secret, for the engines. A profile whose secret is
// missing gives an error wrapping ErrSecretMissing that says to enter it again.
func (m *Manager) Resolve(ctx context.Context, id string) (Resolved, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, s, err := m.lookup(ctx, id, "resolve")
	switch {
	case err != nil:
		return Resolved{}, err
	case !p.needsSecret():
		return Resolved{Profile: p}, nil
	case s == nil:
		return Resolved{}, fmt.Errorf("credentials %q: %w: edit them and enter the secret again", p.Name, ErrSecretMissing)
	}
	return Resolved{Profile: p, Secret: *s}, nil
}

// Test checks a saved profile against its service (STS GetCallerIdentity, ListBuckets
// or HeadBucket, registry /v2/ with the login) and records the outcome as the profile's
// LastTest. Connection problems are a result with OK false, not an error; the error is
// for a profile that does not exist or a file that cannot be read.
func (m *Manager) Test(ctx context.Context, id string) (TestResult, error) {
	start := m.now()
	r, err := m.Resolve(ctx, id)
	var res TestResult
	switch {
	case errors.Is(err, ErrSecretMissing):
		res = TestResult{Code: CodeSecretMissing, Message: "The keychain holds no secret for these credentials. Edit them and enter the secret again.", Buckets: -1}
	case errors.Is(err, ErrKeychain):
		res = TestResult{Code: CodeKeychain, Message: "The system keychain could not be read, so the secret is not available. Unlock the keychain and test again.", Detail: err.Error(), Buckets: -1}
	case err != nil:
		return TestResult{}, err
	default:
		res = m.tester.run(ctx, r)
	}
	res.At = m.now().UTC()
	res.Duration = res.At.Sub(start.UTC()).Milliseconds()
	m.log.Info("credentials tested", "profile", r.Name, "ok", res.OK, "code", res.Code)

	m.mu.Lock()
	defer m.mu.Unlock()
	profiles, err := readFile(m.path)
	if err != nil {
		return res, nil // the test itself ran; recording it is a nicety
	}
	// Record only against the settings that were tested.
	if i := indexOf(profiles, id); i >= 0 && profiles[i].UpdatedAt.Equal(r.UpdatedAt) {
		rec := res
		profiles[i].LastTest = &rec
		if err := m.write(m.path, profiles); err != nil {
			m.log.Warn("the test result could not be recorded", "profile", r.Name, "err", err)
		}
	}
	return res, nil
}

// storedSecret reads a profile's secret: nil when there is none.
func (m *Manager) storedSecret(id string) (*Secret, error) {
	raw, err := m.keychain.Get(KeychainService, keychainUser(id))
	if errors.Is(err, ErrSecretNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, keychainError("read the secret", err)
	}
	var s Secret
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		// Never quote the value: it is a secret, however damaged.
		return nil, fmt.Errorf("the keychain entry %s/%s is not in the expected format; edit the credentials and enter the secret again", KeychainService, keychainUser(id))
	}
	return &s, nil
}

func (m *Manager) setSecret(id string, s Secret) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode the secret: %w", err)
	}
	if err := m.keychain.Set(KeychainService, keychainUser(id), string(data)); err != nil {
		return keychainError("store the secret", err)
	}
	return nil
}

// restoreSecret puts back the secret a failed save replaced (or removes a new one).
func (m *Manager) restoreSecret(id string, old *Secret) {
	var err error
	if old == nil {
		err = m.keychain.Delete(KeychainService, keychainUser(id))
	} else {
		err = m.setSecret(id, *old)
	}
	if err != nil && !errors.Is(err, ErrSecretNotFound) {
		m.log.Warn("the previous secret could not be restored after a failed save", "id", id, "err", err)
	}
}

func indexOf(profiles []Profile, id string) int {
	return slices.IndexFunc(profiles, func(p Profile) bool { return p.ID == id })
}

func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a profile id: %w", err)
	}
	return hex.EncodeToString(b), nil
}
