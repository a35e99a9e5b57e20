package deploy

import (
	"context"
	"fmt"
	"time"

	"transferhub/cloud/internal/wait"
)

// poller spaces the looks at something CloudFormation is doing: the first wait is
// Poll, each next one half again longer up to MaxPoll, and all of them together at
// most Timeout (bounded polling: a few calls a minute, never a storm).
type poller struct {
	delay, max time.Duration
	deadline   time.Time
	timeout    time.Duration
}

func (d *Deployer) newPoller() *poller {
	p := &poller{delay: d.Poll, max: d.MaxPoll, timeout: d.Timeout}
	if p.delay <= 0 {
		p.delay = 2 * time.Second
	}
	if p.max < p.delay {
		p.max = p.delay
	}
	if p.timeout <= 0 {
		p.timeout = 2 * time.Hour
	}
	p.deadline = time.Now().Add(p.timeout)
	return p
}

// wait sleeps before the next look; it fails when the context ends or the time is up.
func (p *poller) wait(ctx context.Context, what string) error {
	if time.Now().Add(p.delay).After(p.deadline) {
		return fmt.Errorf("%s: %w (after %s)", what, ErrTimeout, p.timeout)
	}
	if err := wait.Sleep(ctx, p.delay); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	p.delay = min(p.delay+p.delay/2, p.max)
	return nil
}
