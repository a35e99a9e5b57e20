// Command fleetbench measures the cloud run (build/scripts/bench-fleet.sh): one
// `thub s3 find` and 1, 2 and 4 `thub s3 work` processes move the same 5,000 × 16 KiB
// objects between the two local S3 gateways through the AWS emulator's SQS and
// DynamoDB, with thub's default settings. A counting proxy in front of the emulator
// sees every control-plane request the processes make: SQS requests (any action),
// DynamoDB item writes (each Put/Update/Delete, inside transactions and batches too) and
// DynamoDB's bill for them, in write and read units as AWS computes them from the stored
// items' sizes (billing.go). It prints one JSON document with objects/s, requests,
// writes and billed units per object per run.
//
//	fleetbench -thub PATH -aws-endpoint URL -src-endpoint URL -dst-endpoint URL [-workers 1,2,4] [-objects 5000] [-size 16384]
//
// Keys: THUB_SRC_* / THUB_DST_* access keys of the gateways; AWS_* for the emulator.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"transferhub/cloud/state"
	"transferhub/cloud/state/dynamostore"

	"transferhub/cloud/internal/benchtools/parallel"
)

// counter tallies the control-plane requests that pass the proxy.
type counter struct {
	mu        sync.Mutex
	sqs       map[string]int64 // action -> requests
	sqsBilled int64            // requests as SQS bills them: one per started 64 KB of payload
	ddb       map[string]int64 // action -> requests
	other     int64
}

func newCounter() *counter { return &counter{sqs: map[string]int64{}, ddb: map[string]int64{}} }

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sqs, c.ddb, c.other, c.sqsBilled = map[string]int64{}, map[string]int64{}, 0, 0
}

func (c *counter) count(target string) {
	svc, action, _ := strings.Cut(target, ".")
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case svc == "AmazonSQS":
		c.sqs[action]++
	case strings.HasPrefix(svc, "DynamoDB_"):
		c.ddb[action]++
	default:
		c.other++
	}
}

// billSQS bills an SQS request: each started 64 KB chunk of the message bodies it sends
// or receives is one request.
func (c *counter) billSQS(action string, req, resp []byte) {
	var in struct {
		MessageBody string
		Entries     []struct{ MessageBody string }
	}
	var out struct{ Messages []struct{ Body string } }
	_ = json.Unmarshal(req, &in)
	_ = json.Unmarshal(resp, &out)
	payload := len(in.MessageBody)
	for _, e := range in.Entries {
		payload += len(e.MessageBody)
	}
	for _, m := range out.Messages {
		payload += len(m.Body)
	}
	c.mu.Lock()
	c.sqsBilled += int64(max(1, (payload+65535)/65536))
	c.mu.Unlock()
}

func (c *counter) snapshot() (sqsN, ddbReq int64, sqsBy, ddbBy map[string]int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sqsBy, ddbBy = map[string]int64{}, map[string]int64{}
	for k, v := range c.sqs {
		sqsN += v
		sqsBy[k] = v
	}
	for k, v := range c.ddb {
		ddbReq += v
		ddbBy[k] = v
	}
	return sqsN, ddbReq, sqsBy, ddbBy
}

// proxy forwards to the emulator, counting every request and billing DynamoDB's (see
// billing.go); the bill is made after the answer went back, so it adds no latency.
func proxy(target string, c *counter, b *billing, ddb *dynamodb.Client, table func() string) *httptest.Server {
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		t := r.Header.Get("X-Amz-Target")
		c.count(t)
		svc, action, _ := strings.Cut(t, ".")
		isDDB := strings.HasPrefix(svc, "DynamoDB_")
		var ws []write
		var before []itemInfo
		if isDDB {
			if ws = writesOf(action, body); len(ws) > 0 {
				before = b.before(ws)
			}
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := tr.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway) // long polls cut short when workers stop
			return
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(out)
		switch {
		case svc == "AmazonSQS":
			c.billSQS(action, body, out)
		case !isDDB:
		case len(ws) > 0:
			b.after(context.Background(), ddb, table(), ws, before, resp.StatusCode == http.StatusOK, unprocessedOf(out))
		case resp.StatusCode == http.StatusOK:
			b.read(action, body, out)
		}
	}))
}

// unprocessedOf names the writes a BatchWriteItem answer left undone.
func unprocessedOf(resp []byte) map[string]bool {
	var out struct {
		UnprocessedItems map[string][]map[string]map[string]map[string]any
	}
	if json.Unmarshal(resp, &out) != nil || len(out.UnprocessedItems) == 0 {
		return nil
	}
	keys := map[string]bool{}
	for _, reqs := range out.UnprocessedItems {
		for _, r := range reqs {
			for _, m := range r {
				item := m["Item"]
				if item == nil {
					item = m["Key"]
				}
				keys[keyOf(item)] = true
			}
		}
	}
	return keys
}

// Run is one measured run.
type Run struct {
	Workers          int     `json:"workers"`
	Objects          int     `json:"objects"`
	Bytes            int64   `json:"bytes"`
	Seconds          float64 `json:"seconds"`
	ObjectsPerSecond float64 `json:"objectsPerSecond"`
	SQSRequests      int64   `json:"sqsRequests"`
	SQSPerObject     float64 `json:"sqsRequestsPerObject"`
	SQSBilled        int64   `json:"sqsBilledRequests"` // one per started 64 KB of payload
	SQSBilledPerObj  float64 `json:"sqsBilledRequestsPerObject"`
	DynamoRequests   int64   `json:"dynamoRequests"`
	// Item writes on the table (each Put, Update or Delete, in transactions and batches too).
	DynamoWrites    int64   `json:"dynamoWriteItems"`
	DynamoPerObject float64 `json:"dynamoWritesPerObject"`
	// Billed write units (billing.go): the table's (transactions twice), the index's, both.
	TableWCU          int64            `json:"tableWriteUnits"`
	IndexWCU          int64            `json:"indexWriteUnits"`
	TableWCUPerObject float64          `json:"tableWriteUnitsPerObject"`
	IndexWCUPerObject float64          `json:"indexWriteUnitsPerObject"`
	WCUPerObject      float64          `json:"billedWriteUnitsPerObject"`
	RRUPerObject      float64          `json:"readUnitsPerObject"`
	SQSByAction       map[string]int64 `json:"sqsByAction"`
	DynamoByAction    map[string]int64 `json:"dynamoByAction"`
	Status            string           `json:"status"`
	Done              int64            `json:"done"`
	DestinationObject int              `json:"destinationObjects"`
}

type env struct {
	thub, awsEndpoint, srcEndpoint, dstEndpoint string
	proxyURL                                    string
	src, dst                                    *s3.Client
	sqs                                         *sqs.Client
	ddb                                         *dynamodb.Client
	counter                                     *counter
	bill                                        *billing
	table                                       atomic.Value // the run's table, for the bill
}

func s3client(endpoint, side string) *s3.Client {
	cfg := aws.Config{Region: "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("THUB_"+side+"_ACCESS_KEY_ID"), os.Getenv("THUB_"+side+"_SECRET_ACCESS_KEY"), ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(endpoint); o.UsePathStyle = true })
}

func randName(p string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%x", p, b)
}

func emptyBucket(ctx context.Context, c *s3.Client, b string) {
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	var keys []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	_ = parallel.For(len(keys), 32, func(i int) error {
		_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(keys[i])})
		return nil
	})
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
}

func countObjects(ctx context.Context, c *s3.Client, b string) int {
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n
		}
		n += len(page.Contents)
	}
	return n
}

func (e *env) run(ctx context.Context, srcBucket string, workers, objects int, bytes int64) (Run, error) {
	r := Run{Workers: workers, Objects: objects, Bytes: bytes}
	name := randName("th-fleetbench")
	dlq, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		return r, err
	}
	defer e.sqs.DeleteQueue(context.WithoutCancel(ctx), &sqs.DeleteQueueInput{QueueUrl: dlq.QueueUrl})
	attrs, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return r, err
	}
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"5"}`, attrs.Attributes["QueueArn"])}})
	if err != nil {
		return r, err
	}
	defer e.sqs.DeleteQueue(context.WithoutCancel(ctx), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
	if err := dynamostore.CreateTable(ctx, e.ddb, name); err != nil {
		return r, err
	}
	defer e.ddb.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	dstBucket := name + "-dst"
	if _, err := e.dst.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(dstBucket)}); err != nil {
		return r, err
	}
	defer emptyBucket(context.WithoutCancel(ctx), e.dst, dstBucket)
	store := dynamostore.New(e.ddb, name)
	taskID := "bench-" + name

	procEnv := append(os.Environ(), "AWS_ENDPOINT_URL="+e.proxyURL, "THUB_TASK_ID="+taskID, "THUB_QUEUE_URL="+*q.QueueUrl,
		"THUB_TABLE="+name, "THUB_SRC=s3://"+srcBucket, "THUB_SRC_ENDPOINT="+e.srcEndpoint,
		"THUB_DST=s3://"+dstBucket, "THUB_DST_ENDPOINT="+e.dstEndpoint, "THUB_LOG_LEVEL="+logLevel())
	e.counter.reset()
	e.bill.reset()
	e.table.Store(name)
	var procs []*exec.Cmd
	var waits []chan struct{}
	for i := 0; i < workers; i++ {
		cmd := exec.Command(e.thub, "s3", "work")
		cmd.Env = procEnv
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return r, err
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		procs, waits = append(procs, cmd), append(waits, done)
	}
	stop := func() {
		for _, p := range procs {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
		for _, w := range waits {
			<-w
		}
	}
	defer stop()
	start := time.Now()
	find := exec.Command(e.thub, "s3", "find")
	find.Env = procEnv
	find.Stderr = os.Stderr
	if err := find.Run(); err != nil {
		return r, fmt.Errorf("finder: %w", err)
	}
	deadline := time.Now().Add(20 * time.Minute)
	var tk state.Task
	for {
		// Read straight from the emulator: the benchmark's own polls are not counted.
		tk, err = store.GetTask(ctx, taskID)
		if err == nil && tk.RunID != "" && tk.Status != state.TaskRunning {
			break
		}
		if time.Now().After(deadline) {
			return r, errors.New("the run did not finish within 20 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Seconds = time.Since(start).Seconds()
	var by1, by2 map[string]int64
	r.SQSRequests, r.DynamoRequests, by1, by2 = e.counter.snapshot()
	var rru float64
	r.DynamoWrites, r.TableWCU, r.IndexWCU, rru = e.bill.totals()
	r.SQSByAction, r.DynamoByAction = by1, by2
	per := func(n float64) float64 { return round3(n / float64(objects)) }
	r.ObjectsPerSecond = round(float64(objects) / r.Seconds)
	r.SQSPerObject = per(float64(r.SQSRequests))
	e.counter.mu.Lock()
	r.SQSBilled = e.counter.sqsBilled
	e.counter.mu.Unlock()
	r.SQSBilledPerObj = per(float64(r.SQSBilled))
	r.DynamoPerObject = per(float64(r.DynamoWrites))
	r.TableWCUPerObject, r.IndexWCUPerObject = per(float64(r.TableWCU)), per(float64(r.IndexWCU))
	r.WCUPerObject = per(float64(r.TableWCU + r.IndexWCU))
	r.RRUPerObject = per(rru)
	r.Status, r.Done = string(tk.Status), tk.Counters.DoneObjects
	stop()
	r.DestinationObject = countObjects(ctx, e.dst, dstBucket)
	if r.Status != string(state.TaskCompleted) || r.Done != int64(objects) || r.DestinationObject != objects {
		return r, fmt.Errorf("run with %d workers ended %s with %d of %d objects done, %d at the destination", workers, r.Status, r.Done, objects, r.DestinationObject)
	}
	return r, nil
}

// storeFloor times what the emulator alone needs for a run's records: batches of 200
// recorded as sent and then settled, one after the other, into a fresh table (the
// emulator serializes DynamoDB requests, so workers cannot overlap them).
func (e *env) storeFloor(ctx context.Context, objects int) (time.Duration, error) {
	name := randName("th-fleetbench-floor")
	if err := dynamostore.CreateTable(ctx, e.ddb, name); err != nil {
		return 0, err
	}
	defer e.ddb.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	st := dynamostore.New(e.ddb, name)
	if err := st.PutTask(ctx, state.Task{ID: "floor", Type: state.TaskS3}); err != nil {
		return 0, err
	}
	t, err := st.StartRun(ctx, "floor")
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for i := 0; i < objects; i += 200 {
		var objs []state.Object
		for j := i; j < min(i+200, objects); j++ {
			objs = append(objs, state.Object{Key: fmt.Sprintf("%03d/obj-%06d", j%50, j), Size: 16384, Status: state.ItemInProgress, RunID: t.RunID})
		}
		if err := st.PutJob(ctx, "floor", objs); err != nil {
			return 0, err
		}
		for k := range objs {
			objs[k].Status = state.ItemDone
		}
		if err := st.PutObjects(ctx, "floor", objs); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// logLevel is the processes' log level: warn, or FLEETBENCH_LOG_LEVEL (diagnostics).
func logLevel() string {
	if v := os.Getenv("FLEETBENCH_LOG_LEVEL"); v != "" {
		return v
	}
	return "warn"
}

func round(f float64) float64  { return math.Round(f*10) / 10 }
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func main() {
	thub := flag.String("thub", "", "thub binary")
	awsEndpoint := flag.String("aws-endpoint", "", "AWS emulator endpoint")
	srcEndpoint := flag.String("src-endpoint", "", "source S3 endpoint")
	dstEndpoint := flag.String("dst-endpoint", "", "destination S3 endpoint")
	workerList := flag.String("workers", "1,2,4", "worker process counts, one run each")
	objects := flag.Int("objects", 5000, "objects")
	size := flag.Int("size", 16384, "object size")
	flag.Parse()
	if *thub == "" || *awsEndpoint == "" || *srcEndpoint == "" || *dstEndpoint == "" {
		fmt.Fprintln(os.Stderr, "fleetbench: -thub, -aws-endpoint, -src-endpoint and -dst-endpoint are required")
		os.Exit(2)
	}
	ctx := context.Background()
	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(*awsEndpoint), RetryMaxAttempts: 5,
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")}
	e := &env{thub: *thub, awsEndpoint: *awsEndpoint, srcEndpoint: *srcEndpoint, dstEndpoint: *dstEndpoint,
		src: s3client(*srcEndpoint, "SRC"), dst: s3client(*dstEndpoint, "DST"), sqs: sqs.NewFromConfig(awsCfg),
		ddb: dynamodb.NewFromConfig(awsCfg), counter: newCounter(), bill: newBilling()}
	e.table.Store("")
	px := proxy(*awsEndpoint, e.counter, e.bill, e.ddb, func() string { return e.table.Load().(string) })
	defer px.Close()
	e.proxyURL = px.URL

	src := randName("th-fleetbench-src")
	if _, err := e.src.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(src)}); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench: create source bucket:", err)
		os.Exit(1)
	}
	defer emptyBucket(ctx, e.src, src)
	fmt.Fprintf(os.Stderr, "fleetbench: seeding %d x %d bytes\n", *objects, *size)
	body := make([]byte, *size)
	err := parallel.For(*objects, 64, func(i int) error {
		b := append([]byte(nil), body...)
		_, _ = rand.Read(b)
		_, err := e.src.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(src), Key: aws.String(fmt.Sprintf("%03d/obj-%06d", i%50, i)), Body: bytes.NewReader(b)})
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench: seed:", err)
		os.Exit(1)
	}
	var counts []int
	for _, s := range strings.Split(*workerList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "fleetbench: -workers %q\n", *workerList)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	sort.Ints(counts)
	floor, err := e.storeFloor(ctx, *objects)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench: store floor:", err)
		os.Exit(1)
	}
	var runs []Run
	failed := false
	for _, n := range counts {
		fmt.Fprintf(os.Stderr, "fleetbench: %d worker process(es)\n", n)
		r, err := e.run(ctx, src, n, *objects, int64(*objects)*int64(*size))
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleetbench:", err)
			failed = true
		}
		runs = append(runs, r)
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"runs": runs, "storeFloorSeconds": math.Round(floor.Seconds()*100) / 100})
	if failed {
		os.Exit(1)
	}
}
