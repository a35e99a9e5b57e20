package taskrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/state"
)

// Lease names and the default time to live.
const (
	// RunLease is held by a local run (thub s3 sync, thub image sync, the desktop).
	RunLease = "run"
	// FinderLease is held by a cloud run's finder (one per task at a time).
	FinderLease = "finder"
	// ExecutionLease is held by an image task's state machine execution, from its
	// listing to its last step (or until it lapses): one execution runs the task at a
	// time (cloud/cloudrun ListImages).
	ExecutionLease = "execution"
	// DefaultTTL: a lease lapses this long after its holder stops renewing it (renewed
	// every third of it), so a killed run blocks the next one briefly at most.
	DefaultTTL = 15 * time.Second
)

// ErrBusy: another process holds the task's lease. errors.Is(err, ErrBusy) holds for a
// *LeaseError that refused a start or stopped a run because another owner has the task.
var ErrBusy = errors.New("held by another process")

// Owner names a lease holder: the host and process it runs in and since when. Its string
// form "host/pid/unix-nanos" is what the store keeps, so a refusal can say who runs the
// task and a holder on this host whose process is gone can be recognised.
type Owner struct {
	Host  string
	PID   int
	Since time.Time
}

// NewOwner names this process, from now.
func NewOwner() Owner {
	host, _ := os.Hostname()
	return Owner{Host: host, PID: os.Getpid(), Since: time.Now()}
}

func (o Owner) String() string { return fmt.Sprintf("%s/%d/%d", o.Host, o.PID, o.Since.UnixNano()) }

// ParseOwner reads an owner string; ok is false for one in another form (owners
// written by older versions, or by hand).
func ParseOwner(s string) (o Owner, ok bool) {
	rest, nanos, ok1 := cutLast(s, "/")
	host, pid, ok2 := cutLast(rest, "/")
	if !ok1 || !ok2 || host == "" {
		return Owner{}, false
	}
	p, err1 := strconv.Atoi(pid)
	n, err2 := strconv.ParseInt(nanos, 10, 64)
	if err1 != nil || err2 != nil || p <= 0 || n <= 0 {
		return Owner{}, false
	}
	return Owner{Host: host, PID: p, Since: time.Unix(0, n)}, true
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// describe says who an owner string names, for people.
func describe(holder string) string {
	if o, ok := ParseOwner(holder); ok {
		return fmt.Sprintf("%s (pid %d) since %s", o.Host, o.PID, o.Since.Local().Format("2006-01-02 15:04:05 MST"))
	}
	if holder != "" {
		return holder
	}
	return "another process"
}

// LeaseError says why a task's lease is not this process's: another owner holds it (a
// start is refused), or this run lost it (the run's context is cancelled with it).
type LeaseError struct {
	TaskID string
	Lease  string
	// Holder is the owner string of whoever holds the lease ("" when the store did not
	// say, or when Err is set).
	Holder string
	// Until: the holder's lease lapses then unless renewed (zero: unknown).
	Until time.Time
	// TTL of the lease this process asked for: a refusal says how soon a dead holder's
	// lease lapses (0: not said).
	TTL time.Duration
	// Lost: this run held the lease and lost it.
	Lost bool
	// Err: the renewals failed with this error for a whole TTL, so the lease may have
	// lapsed and been taken: the run stops rather than run beside another.
	Err error
}

func (e *LeaseError) Error() string {
	switch {
	case e.Err != nil:
		return fmt.Sprintf("lost the %s lease of task %s: it could not be renewed for %s, so another process may be running the task: %v",
			e.Lease, e.TaskID, e.TTL, e.Err)
	case e.Lost:
		return fmt.Sprintf("lost the %s lease of task %s: the task is being run by %s", e.Lease, e.TaskID, describe(e.Holder))
	}
	msg := fmt.Sprintf("the %s lease of task %s is %v: the task is being run by %s", e.Lease, e.TaskID, ErrBusy, describe(e.Holder))
	if e.TTL > 0 {
		msg += fmt.Sprintf(" (the lease is renewed while that process runs and lapses %s after it stops)", e.TTL)
	}
	return msg
}

// Is makes errors.Is(err, ErrBusy) hold when another owner has the task.
func (e *LeaseError) Is(target error) bool { return target == ErrBusy && e.Err == nil }

// Unwrap returns the renewal error, or state.ErrConflict.
func (e *LeaseError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return state.ErrConflict
}

// LeaseOptions say how Hold takes and keeps a task's lease.
type LeaseOptions struct {
	Name  string        // RunLease when empty
	Owner string        // NewOwner().String() when empty
	TTL   time.Duration // DefaultTTL when 0
	// Wait is how long Hold waits for a lease whose holder may be gone (on another host,
	// or a process this one cannot check) to lapse, saying so in the log; 0 refuses at once.
	Wait time.Duration
	// Local: the store is this computer's (a state file), so a holder on this host is
	// checked: one whose process is gone (kill -9) is taken over at once, a live one is
	// refused at once. Not for shared stores: another machine may carry the same name.
	Local bool
	Log   *slog.Logger // nowhere when nil
}

func (o LeaseOptions) withDefaults() LeaseOptions {
	if o.Name == "" {
		o.Name = RunLease
	}
	if o.Owner == "" {
		o.Owner = NewOwner().String()
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Lease is a task's lease held by this process and renewed every third of its TTL until
// Release.
type Lease struct {
	st     state.Store
	taskID string
	opt    LeaseOptions
	cancel context.CancelCauseFunc // the run's context
	stop   context.CancelFunc      // the renewals
	done   chan struct{}
	once   sync.Once
	relErr error

	mu   sync.Mutex
	lost error
}

// Hold takes the task's lease and keeps it renewed. The returned context is ctx's child
// for the run: when the lease is lost it is cancelled with a *LeaseError as its cause
// (context.Cause), so the run stops and can tell its user why. A lease held by another
// owner refuses with a *LeaseError (errors.Is ErrBusy); see LeaseOptions for waiting
// and for taking over a dead local holder.
func Hold(ctx context.Context, st state.Store, taskID string, opt LeaseOptions) (context.Context, *Lease, error) {
	opt = opt.withDefaults()
	if err := take(ctx, st, taskID, opt); err != nil {
		return ctx, nil, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	// Renew until Release, even while ctx is ending: the run still writes its last
	// records under the lease.
	renewCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l := &Lease{st: st, taskID: taskID, opt: opt, cancel: cancel, stop: stop, done: make(chan struct{})}
	go l.renew(renewCtx)
	return runCtx, l, nil
}

// take takes the lease, waiting or taking over as opt says.
func take(ctx context.Context, st state.Store, taskID string, opt LeaseOptions) error {
	deadline := time.Now().Add(opt.Wait)
	said, takeovers := false, 0
	for {
		err := st.Lease(ctx, taskID, opt.Name, opt.Owner, opt.TTL)
		if err == nil {
			return nil
		}
		if !errors.Is(err, state.ErrConflict) {
			return fmt.Errorf("take the %s lease of task %s: %w", opt.Name, taskID, err)
		}
		held := &state.LeaseHeldError{}
		errors.As(err, &held)
		refused := &LeaseError{TaskID: taskID, Lease: opt.Name, Holder: held.Holder, Until: held.Until, TTL: opt.TTL}
		if opt.Local && takeovers < 3 {
			switch holderGone(held.Holder) {
			case gone:
				takeovers++
				opt.Log.Warn("taking the task over from a process that stopped without releasing it",
					"task", taskID, "lease", opt.Name, "holder", describe(held.Holder))
				// Conditional on that owner: when another process was quicker, the next
				// attempt meets it.
				if err := st.ReleaseLease(ctx, taskID, opt.Name, held.Holder); err != nil {
					return fmt.Errorf("take over the %s lease of task %s: %w", opt.Name, taskID, err)
				}
				continue
			case alive:
				return refused
			}
		}
		if !time.Now().Before(deadline) {
			return refused
		}
		if !said {
			said = true
			opt.Log.Warn("the task is being run by another process, which may have stopped without releasing it: waiting for its lease to lapse",
				"task", taskID, "holder", describe(held.Holder), "until", held.Until, "wait", opt.Wait)
		}
		pause := min(time.Second, time.Until(deadline))
		if !held.Until.IsZero() {
			pause = min(pause, time.Until(held.Until)+10*time.Millisecond)
		}
		if wait.Sleep(ctx, max(pause, 10*time.Millisecond)) != nil {
			return context.Cause(ctx)
		}
	}
}

func (l *Lease) renew(ctx context.Context) {
	defer close(l.done)
	lastOK := time.Now()
	wait.Every(ctx, l.opt.TTL/3, func(ctx context.Context) {
		err := l.st.Lease(ctx, l.taskID, l.opt.Name, l.opt.Owner, l.opt.TTL)
		switch {
		case err == nil:
			lastOK = time.Now()
		case ctx.Err() != nil:
		case errors.Is(err, state.ErrConflict):
			held := &state.LeaseHeldError{}
			errors.As(err, &held)
			l.lose(&LeaseError{TaskID: l.taskID, Lease: l.opt.Name, Holder: held.Holder, Until: held.Until, Lost: true})
		default:
			l.opt.Log.Warn("renew the task's lease", "task", l.taskID, "lease", l.opt.Name, "err", err)
			if time.Since(lastOK) >= l.opt.TTL {
				l.lose(&LeaseError{TaskID: l.taskID, Lease: l.opt.Name, TTL: l.opt.TTL, Lost: true, Err: err})
			}
		}
	})
}

// lose ends the renewals and the run, with cause.
func (l *Lease) lose(cause *LeaseError) {
	l.mu.Lock()
	l.lost = cause
	l.mu.Unlock()
	l.opt.Log.Error("the run stops: " + cause.Error())
	l.stop()
	l.cancel(cause)
}

// Owner is the owner string the lease is held under.
func (l *Lease) Owner() string { return l.opt.Owner }

// Err is nil while the lease is held, and the *LeaseError that cancelled the run once
// it is lost.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops the renewals, drops the lease (unless it was lost: then it is another
// owner's) and ends the run's context. It returns the store's error; later calls return
// the first call's result.
func (l *Lease) Release() error {
	l.once.Do(func() {
		l.stop()
		<-l.done
		defer l.cancel(nil)
		if l.Err() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.st.ReleaseLease(ctx, l.taskID, l.opt.Name, l.opt.Owner); err != nil {
			l.relErr = fmt.Errorf("release the %s lease of task %s: %w", l.opt.Name, l.taskID, err)
		}
	})
	return l.relErr
}

// holder states for takeover.
type holderState int

const (
	unknown holderState = iota // cannot tell: wait for the lease to lapse
	gone                       // the process on this host is gone
	alive                      // the process on this host is running
)

// holderGone checks the process an owner string names, when it names one on this host.
func holderGone(holder string) holderState {
	o, ok := ParseOwner(holder)
	if !ok {
		return unknown
	}
	if host, err := os.Hostname(); err != nil || host != o.Host {
		return unknown
	}
	return processState(o.PID, o.Since)
}
