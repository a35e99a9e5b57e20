package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// Process is one agent process the harness runs: a worker (one per instance), a finder
// or a copier (one per ECS task), a Lambda sandbox.
type Process struct {
	Kind  string // worker, finder, copier, lambda
	Stack string
	Name  string // instance id, ECS task id, function name
	// LogFile holds the process's output; LogGroup/LogStream is where it was shipped.
	LogFile             string
	LogGroup, LogStream string
	Started             time.Time

	cmd    *exec.Cmd
	done   chan struct{}
	exit   int
	ended  time.Time
	output sync.WaitGroup
	ship   *shipper
}

// stackDeleted notes that the process's stack is gone (see shipper.stackGone).
func (p *Process) stackDeleted() {
	if p.ship != nil {
		p.ship.stackGone.Store(true)
	}
}

// Done is closed when the process has exited and its output is shipped.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitCode is the process's exit status once Done (-1 when a signal ended it).
func (p *Process) ExitCode() int {
	<-p.done
	return p.exit
}

// Exited reports whether it is done, and its exit status.
func (p *Process) Exited() (int, bool) {
	select {
	case <-p.done:
		return p.exit, true
	default:
		return 0, false
	}
}

// Ended is when the process exited (zero while it runs).
func (p *Process) Ended() time.Time {
	if _, done := p.Exited(); !done {
		return time.Time{}
	}
	return p.ended
}

// Output is what the process wrote so far.
func (p *Process) Output() string {
	b, _ := os.ReadFile(p.LogFile)
	return string(b)
}

// Signal sends sig to the process.
func (p *Process) Signal(sig syscall.Signal) {
	if _, done := p.Exited(); !done {
		_ = p.cmd.Process.Signal(sig)
	}
}

// Stop is how systemd and ECS stop a process: SIGTERM, then after grace SIGKILL (to its
// whole process group).
func (p *Process) Stop(grace time.Duration) {
	if _, done := p.Exited(); done {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// procSpec is a process to start.
type procSpec struct {
	kind, stack, name string
	path              string
	args              []string
	env               []string
	home              string
	logGroup          string
	logStream         string
	logCreds          aws.CredentialsProvider
}

// start runs a process; its output goes to a file in the harness's directory and to
// CloudWatch Logs.
func (h *Harness) start(spec procSpec) (*Process, error) {
	h.mu.Lock()
	h.procN++
	n := h.procN
	h.mu.Unlock()
	logDir := filepath.Join(h.cfg.Dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(spec.home, 0o700); err != nil {
		return nil, err
	}
	p := &Process{Kind: spec.kind, Stack: spec.stack, Name: spec.name, LogGroup: spec.logGroup, LogStream: spec.logStream,
		LogFile: filepath.Join(logDir, fmt.Sprintf("%03d-%s-%s-%s.log", n, spec.stack, spec.kind, sanitize(spec.name))), done: make(chan struct{})}
	f, err := os.Create(p.LogFile)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		f.Close()
		return nil, err
	}
	p.cmd = exec.Command(spec.path, spec.args...)
	p.cmd.Env = spec.env
	p.cmd.Dir = spec.home
	p.cmd.Stdout, p.cmd.Stderr = w, w
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if spec.logGroup != "" {
		p.ship = h.newShipper(spec.stack, spec.logGroup, spec.logStream, spec.logCreds)
	}
	p.Started = time.Now()
	if err := p.cmd.Start(); err != nil {
		w.Close()
		r.Close()
		f.Close()
		if p.ship != nil {
			p.ship.close()
		}
		return nil, fmt.Errorf("start %s %s of %s: %w", spec.kind, spec.name, spec.stack, err)
	}
	w.Close()
	p.output.Add(1)
	go func() {
		defer p.output.Done()
		defer r.Close()
		defer f.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			if p.ship != nil {
				p.ship.add(line)
			}
		}
	}()
	h.mu.Lock()
	h.procs = append(h.procs, p)
	h.mu.Unlock()
	go func() {
		err := p.cmd.Wait()
		p.output.Wait()
		if p.ship != nil {
			p.ship.close()
		}
		p.exit, p.ended = 0, time.Now()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.exit = ee.ExitCode()
		}
		close(p.done)
	}()
	return p, nil
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ':' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

// --- CloudWatch Logs --------------------------------------------------------------------

// shipper sends one stream's lines to CloudWatch Logs, as the CloudWatch agent (EC2),
// the awslogs driver (ECS) and Lambda do: batches at least every second.
type shipper struct {
	h             *Harness
	client        *cloudwatchlogs.Client
	stackName     string
	group, stream string
	ch            chan cwltypes.InputLogEvent
	done          chan struct{}
	// stackGone: the process's stack was deleted while it stopped. On AWS the stack's
	// deletion waits for its instances to end, so their last lines still find the log
	// group; the emulator deletes at once, and a control plane deleted right after may
	// take the group first. Such lines are dropped, not a problem; so are those of a
	// process stopped as the harness closed whose stack turns out deleted (the harness
	// had not seen it go yet).
	stackGone atomic.Bool
}

func (h *Harness) newShipper(stackName, group, stream string, creds aws.CredentialsProvider) *shipper {
	cfg := h.cfg.AWS.Copy()
	if creds != nil {
		cfg.Credentials = creds
	}
	s := &shipper{h: h, client: cloudwatchlogs.NewFromConfig(cfg), stackName: stackName, group: group, stream: stream,
		ch: make(chan cwltypes.InputLogEvent, 4096), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *shipper) add(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	s.ch <- cwltypes.InputLogEvent{Message: aws.String(line), Timestamp: aws.Int64(time.Now().UnixMilli())}
}

func (s *shipper) close() {
	close(s.ch)
	<-s.done
}

func (s *shipper) run() {
	defer close(s.done)
	// Shipping outlives the harness's context by a little: the last lines of a
	// stopping process still go.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := s.client.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(s.group), LogStreamName: aws.String(s.stream)})
	var exists *cwltypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		s.h.problem(fmt.Errorf("create log stream %s in %s: %w", s.stream, s.group, err))
	}
	var batch []cwltypes.InputLogEvent
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := s.client.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(s.group),
			LogStreamName: aws.String(s.stream), LogEvents: batch}); err != nil {
			var gone *cwltypes.ResourceNotFoundException
			if errors.As(err, &gone) && (s.stackGone.Load() || s.stackName != "" && s.h.stackGoing(ctx, s.stackName)) {
				s.h.log.Info("log lines of a deleted stack's process dropped: its log group is gone", "group", s.group, "stream", s.stream, "lines", len(batch))
			} else {
				s.h.problem(fmt.Errorf("ship %d log lines to %s/%s: %w", len(batch), s.group, s.stream, err))
			}
		}
		batch = batch[:0]
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case e, ok := <-s.ch:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= 500 {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}
