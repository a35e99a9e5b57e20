// Command cfnfake serves the replaying CloudFormation fake (cloud/deploy/cfnfake) as a
// process, for the desktop's end-to-end tests: the app's AWS profile points its
// endpoint_url at it, and the stacks named with -expect replay the scenarios listed
// (cloud/deploy/cfnfake/scenarios), one per CreateChangeSet, in order.
//
//	go run ./build/testenv/cfnfake -expect thub-e2e-control-plane=control-plane-create-failed,control-plane-create -url-file url
//
// It runs until SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"transferhub/cloud/deploy/cfnfake"
)

type expectations []string

func (e *expectations) String() string     { return strings.Join(*e, " ") }
func (e *expectations) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	var expect expectations
	flag.Var(&expect, "expect", "stack=scenario[,scenario...]: what the stack's next operations replay (repeatable)")
	urlFile := flag.String("url-file", "", "write the fake's URL to this file once it serves")
	flag.Parse()
	if err := run(expect, *urlFile); err != nil {
		fmt.Fprintln(os.Stderr, "cfnfake:", err)
		os.Exit(2)
	}
}

func run(expect expectations, urlFile string) error {
	f := cfnfake.New()
	defer f.Close()
	for _, e := range expect {
		name, list, ok := strings.Cut(e, "=")
		if !ok || name == "" || list == "" {
			return fmt.Errorf("-expect %q: want stack=scenario[,scenario...]", e)
		}
		for _, sc := range strings.Split(list, ",") {
			s, err := cfnfake.Scenario(sc)
			if err != nil {
				return fmt.Errorf("-expect %s: %w (known: %s)", name, err, strings.Join(cfnfake.Scenarios(), ", "))
			}
			f.Expect(name, s)
		}
	}
	if urlFile != "" {
		if err := os.WriteFile(urlFile, []byte(f.URL+"\n"), 0o600); err != nil {
			return fmt.Errorf("write the URL: %w", err)
		}
	}
	slog.Info("cfnfake serving", "url", f.URL, "expect", expect.String())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	return nil
}
