// Command thdynamo is the DynamoDB endpoint of the UI bench of cloud task pages
// (build/scripts/bench-ui.sh). It serves one table from the in-memory fake
// (dynamofake), filled with a cloud task's records through dynamostore (recordgen),
// and passes every other request on to an upstream endpoint (the AWS emulator), whose
// table it fills the same way. It times the calls it answers and the calls it passes
// on, so the bench can say what share of a page's time the emulator took. A
// development tool, never shipped:
//
//	thdynamo -ready FILE -fake-table T -fake-task ID -fake-records N
//	         -upstream URL -upstream-table T2 -upstream-task ID2 -upstream-records M [-failed F]
//
// It writes FILE (JSON: its address and how long the records took to write) when it is
// ready, and serves until it is interrupted. GET /__stats returns the timings since
// the last POST /__stats/reset.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"transferhub/cloud/internal/benchtools/dynamofake"
	"transferhub/cloud/internal/benchtools/recordgen"
	"transferhub/cloud/state/dynamostore"
)

func main() {
	ready := flag.String("ready", "", "write the address and timings here (JSON) when ready")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	fakeTable := flag.String("fake-table", "th-bench-fake", "table the fake serves")
	fakeTask := flag.String("fake-task", "", "task whose records the fake's table holds")
	fakeRecords := flag.Int("fake-records", 1_000_000, "records of the fake's task")
	upstream := flag.String("upstream", "", "DynamoDB endpoint for every other table (the AWS emulator)")
	upTable := flag.String("upstream-table", "", "table to create and fill upstream")
	upTask := flag.String("upstream-task", "", "task whose records the upstream table holds")
	upRecords := flag.Int("upstream-records", 100_000, "records of the upstream task")
	failed := flag.Int("failed", 100, "failed records of each task")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, options{ready: *ready, listen: *listen, fakeTable: *fakeTable, fakeTask: *fakeTask,
		fakeRecords: *fakeRecords, upstream: *upstream, upTable: *upTable, upTask: *upTask, upRecords: *upRecords,
		failed: *failed}); err != nil {
		fmt.Fprintln(os.Stderr, "thdynamo:", err)
		os.Exit(1)
	}
}

type options struct {
	ready, listen, fakeTable, fakeTask string
	fakeRecords                        int
	upstream, upTable, upTask          string
	upRecords, failed                  int
}

func client(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "bench", "")})
}

func run(ctx context.Context, log *slog.Logger, o options) error {
	if o.fakeTask == "" {
		return errors.New("-fake-task is required")
	}
	r := &router{fake: dynamofake.New(), fakeTable: o.fakeTable, stats: map[string]*timer{"fake": {}, "upstream": {}}}
	if o.upstream != "" {
		u, err := url.Parse(o.upstream)
		if err != nil {
			return fmt.Errorf("-upstream: %w", err)
		}
		r.proxy = httputil.NewSingleHostReverseProxy(u)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	self := "http://" + ln.Addr().String()
	log.Info("serving", "addr", self)

	info := map[string]any{"endpoint": self}
	t0 := time.Now()
	if err := fill(ctx, client(self), o.fakeTable, o.fakeTask, o.fakeRecords, o.failed); err != nil {
		return fmt.Errorf("fill the fake: %w", err)
	}
	info["fakeFillSeconds"] = time.Since(t0).Seconds()
	log.Info("the fake's table is filled", "records", o.fakeRecords, "seconds", info["fakeFillSeconds"])
	if o.upstream != "" && o.upTable != "" {
		t0 = time.Now()
		if err := fill(ctx, client(o.upstream), o.upTable, o.upTask, o.upRecords, o.failed); err != nil {
			return fmt.Errorf("fill the upstream table: %w", err)
		}
		info["upstreamFillSeconds"] = time.Since(t0).Seconds()
		log.Info("the upstream table is filled", "records", o.upRecords, "seconds", info["upstreamFillSeconds"])
	}
	r.reset()
	if o.ready != "" {
		b, _ := json.Marshal(info)
		if err := os.WriteFile(o.ready+".tmp", b, 0o600); err != nil {
			return err
		}
		if err := os.Rename(o.ready+".tmp", o.ready); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return nil
}

// fill creates table and writes a task's records into it through dynamostore.
func fill(ctx context.Context, c *dynamodb.Client, table, task string, n, failed int) error {
	if err := dynamostore.CreateTable(ctx, c, table); err != nil {
		return err
	}
	_, err := recordgen.Write(ctx, dynamostore.New(c, table), recordgen.Options{TaskID: task, Records: n, Failed: failed, Parallel: 4})
	return err
}

// router answers requests for the fake's table from the fake and passes the others on.
type router struct {
	fake      *dynamofake.Fake
	fakeTable string
	proxy     *httputil.ReverseProxy

	mu    sync.Mutex
	stats map[string]*timer
}

// timer sums a backend's calls: their count, their summed time, and the time at least
// one was under way (busy: what a page waited for, overlapping calls counted once).
type timer struct {
	Calls    int     `json:"calls"`
	SumMs    float64 `json:"sumMs"`
	BusyMs   float64 `json:"busyMs"`
	inflight int
	since    time.Time
}

func (r *router) begin(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.stats[name]
	if t.inflight == 0 {
		t.since = time.Now()
	}
	t.inflight++
}

func (r *router) end(name string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.stats[name]
	t.inflight--
	t.Calls++
	t.SumMs += float64(d.Microseconds()) / 1000
	if t.inflight == 0 {
		t.BusyMs += float64(time.Since(t.since).Microseconds()) / 1000
	}
}

func (r *router) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.stats {
		t.Calls, t.SumMs, t.BusyMs = 0, 0, 0
		t.since = time.Now()
	}
}

// tables names the tables a request touches.
type tables struct {
	TableName     string
	RequestItems  map[string]json.RawMessage
	TransactItems []map[string]struct{ TableName string }
}

func (r *router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch req.URL.Path {
	case "/__stats":
		r.mu.Lock()
		b, _ := json.Marshal(r.stats)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return
	case "/__stats/reset":
		r.reset()
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	var tb tables
	_ = json.Unmarshal(body, &tb)
	toFake := tb.TableName == r.fakeTable
	if _, ok := tb.RequestItems[r.fakeTable]; ok {
		toFake = true
	}
	for _, it := range tb.TransactItems {
		for _, a := range it {
			toFake = toFake || a.TableName == r.fakeTable
		}
	}
	if !toFake && tb.TableName == "" && len(tb.RequestItems) == 0 && len(tb.TransactItems) == 0 {
		toFake = r.proxy == nil // ListTables and the like: the upstream's
	}
	name := "fake"
	if !toFake {
		if r.proxy == nil {
			http.Error(w, "no upstream for table "+tb.TableName, http.StatusBadRequest)
			return
		}
		name = "upstream"
	}
	t0 := time.Now()
	r.begin(name)
	defer func() { r.end(name, time.Since(t0)) }()
	if toFake {
		r.fake.ServeHTTP(w, req)
		return
	}
	r.proxy.ServeHTTP(w, req)
}
