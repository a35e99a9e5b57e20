// Command thub-harness plays AWS's compute for the Transfer Hub stacks in an AWS
// emulator, beside tests that deploy through the app or `thub deploy` (the desktop's
// end-to-end tests start it): it watches the emulator for task stacks and runs their
// workers, finders, copiers, Lambda and state machines (package
// transferhub/cloud/deploy/harness; cloud/docs/deploy.md, "Testing").
//
// The emulator and the harness's identity come from the standard AWS configuration
// (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID ...). When ready it prints one JSON
// line on stdout: {"ready":true,"api":"http://127.0.0.1:PORT","ecrRegistry":"127.0.0.1:PORT"}.
// The API (loopback only):
//
//	GET  /status            the stacks played, fleets, Fargate tasks, executions, problems
//	POST /fire?stack=NAME   fire the stack's schedule now (time has come)
//
// With -ecr-registry it also stands in for ECR's registry: a proxy in front of that
// registry that accepts only the emulator's ECR token (as ECR accepts only its own) and
// swaps in the registry's credentials; deploy with --registry-host set to
// "ecrRegistry". SIGINT or SIGTERM stops every process as a scale-in would.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"transferhub/cloud/deploy/harness"
	"transferhub/cloud/image/imagetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "thub-harness:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		prefix    = flag.String("stacks", "", "play only the task stacks whose names start with this (default: every Transfer Hub task stack)")
		dir       = flag.String("dir", "", "keep agents and process output here (default: a temporary directory, removed at exit)")
		rie       = flag.String("rie", "", "aws-lambda-rie binary (default: .bin/aws-lambda-rie, then PATH)")
		roles     = flag.Bool("roles", false, "run each process with its stack role's credentials (the trust policies must let this identity assume them)")
		tick      = flag.Duration("tick", 2*time.Second, "how long one scaling-alarm period (a CloudWatch minute) lasts here")
		insecure  = flag.String("insecure-registries", "", "comma-separated registry hosts reached over plain HTTP (the agent image's)")
		listen    = flag.String("listen", "127.0.0.1:0", "address of the API (loopback)")
		ecrTarget = flag.String("ecr-registry", "", "stand in for ECR's registry: the registry URL behind it (https://host:port)")
		ecrCA     = flag.String("ecr-registry-ca", "", "CA file of -ecr-registry")
		verbose   = flag.Bool("v", false, "log at debug level")
	)
	flag.Parse()
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.BaseEndpoint == nil {
		return errors.New("no emulator: set AWS_ENDPOINT_URL (the harness plays compute for an AWS emulator only)")
	}
	if *rie == "" {
		*rie = findRIE()
	}
	var hosts []string
	for _, h := range strings.Split(*insecure, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	ready := map[string]any{"ready": true}
	if *ecrTarget != "" {
		p, err := ecrProxy(ctx, cfg, *ecrTarget, *ecrCA)
		if err != nil {
			return err
		}
		defer p.Close()
		hosts = append(hosts, p.Host)
		ready["ecrRegistry"] = p.Host
	}
	h, err := harness.New(ctx, harness.Config{AWS: cfg, Dir: *dir, RIE: *rie, Roles: *roles, InsecureRegistries: hosts, Tick: *tick, Log: log})
	if err != nil {
		return err
	}
	defer h.Close()
	h.Watch(ctx, *prefix)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("the API: %w", err)
	}
	if a := ln.Addr().(*net.TCPAddr); !a.IP.IsLoopback() {
		ln.Close()
		return fmt.Errorf("the API listens on loopback addresses only, not %s", a)
	}
	srv := &http.Server{Handler: api(h), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	ready["api"] = "http://" + ln.Addr().String()
	ready["dir"] = h.Dir()
	b, _ := json.Marshal(ready)
	fmt.Println(string(b))

	<-ctx.Done()
	log.Info("stopping: every process stops as a scale-in stops it")
	return nil
}

func findRIE() string {
	for _, p := range []string{".bin/aws-lambda-rie"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "aws-lambda-rie"
}

// ecrProxy stands in for the control plane's ECR registry: it accepts only the
// emulator's ECR token.
func ecrProxy(ctx context.Context, cfg aws.Config, target, ca string) (*imagetest.Proxy, error) {
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(out.AuthorizationData) == 0 {
		return nil, fmt.Errorf("the emulator's ECR token: %v", err)
	}
	tok, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return nil, fmt.Errorf("the emulator's ECR token: %w", err)
	}
	p, err := imagetest.NewProxy(target, ca)
	if err != nil {
		return nil, fmt.Errorf("the ECR stand-in: %w", err)
	}
	p.RequireAuth = string(tok)
	// The registry's own credentials (user:password) come from the environment, never argv.
	p.ForwardAuth = os.Getenv("THUB_HARNESS_REGISTRY_AUTH")
	return p, nil
}

type stackStatus struct {
	Name       string          `json:"name"`
	Fleet      *harness.Fleet  `json:"fleet,omitempty"`
	Tasks      []taskStatus    `json:"tasks,omitempty"`
	Executions []execStatus    `json:"executions,omitempty"`
	Processes  []processStatus `json:"processes,omitempty"`
}

type taskStatus struct {
	ARN      string `json:"arn"`
	Kind     string `json:"kind"`
	Running  bool   `json:"running"`
	ExitCode *int   `json:"exitCode,omitempty"`
	Error    string `json:"error,omitempty"`
}

type execStatus struct {
	ARN    string `json:"arn"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

type processStatus struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Running  bool   `json:"running"`
	ExitCode *int   `json:"exitCode,omitempty"`
	LogFile  string `json:"logFile"`
}

func api(h *harness.Harness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		var out struct {
			Stacks   []stackStatus `json:"stacks"`
			Problems []string      `json:"problems"`
		}
		for _, name := range h.Stacks() {
			s := stackStatus{Name: name}
			if f, err := h.Fleet(r.Context(), name); err == nil {
				s.Fleet = &f
			}
			for _, t := range h.Tasks(name) {
				ts := taskStatus{ARN: t.ARN, Kind: t.Kind, Running: true}
				select {
				case <-t.Done():
					code := t.ExitCode()
					ts.Running, ts.ExitCode = false, &code
				default:
				}
				if t.Err != nil {
					ts.Error = t.Err.Error()
				}
				s.Tasks = append(s.Tasks, ts)
			}
			for _, e := range h.Executions(name) {
				es := execStatus{ARN: e.ARN, Status: "RUNNING"}
				select {
				case <-e.Done():
					es.Status, es.Error, es.Cause = e.Status, e.Error, e.Cause
				default:
				}
				s.Executions = append(s.Executions, es)
			}
			for _, p := range h.Processes() {
				if p.Stack != name {
					continue
				}
				ps := processStatus{Kind: p.Kind, Name: p.Name, Running: true, LogFile: p.LogFile}
				if code, done := p.Exited(); done {
					ps.Running, ps.ExitCode = false, &code
				}
				s.Processes = append(s.Processes, ps)
			}
			out.Stacks = append(out.Stacks, s)
		}
		out.Problems = []string{}
		for _, p := range h.Problems() {
			out.Problems = append(out.Problems, p.Error())
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /fire", func(w http.ResponseWriter, r *http.Request) {
		fired, err := h.Fire(r.Context(), r.URL.Query().Get("stack"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(fired)
	})
	return mux
}
