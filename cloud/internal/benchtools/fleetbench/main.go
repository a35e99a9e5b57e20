// Command fleetbench measures the cloud run (build/scripts/bench-fleet.sh): one
// `thub s3 find` and 1, 2 and 4 `thub s3 work` processes move the same 5,000 × 16 KiB
// objects between the two local S3 gateways through the AWS emulator's SQS and
// DynamoDB, with thub's default settings. A counting proxy in front of the emulator
// sees every control-plane request the processes make: SQS requests (any action) and
// DynamoDB write items (each Put/Update/Delete, inside transactions and batches too).
// It prints one JSON document with objects/s and requests per object per run.
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
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
)

// counter tallies the control-plane requests that pass the proxy.
type counter struct {
	mu        sync.Mutex
	sqs       map[string]int64 // action -> requests
	ddb       map[string]int64 // action -> requests
	ddbWrites int64            // items written
	ddbTxItem int64            // of which inside TransactWriteItems (billed twice by DynamoDB)
	other     int64
}

func newCounter() *counter { return &counter{sqs: map[string]int64{}, ddb: map[string]int64{}} }

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sqs, c.ddb, c.ddbWrites, c.ddbTxItem, c.other = map[string]int64{}, map[string]int64{}, 0, 0, 0
}

func (c *counter) count(target string, body []byte) {
	svc, action, _ := strings.Cut(target, ".")
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case svc == "AmazonSQS":
		c.sqs[action]++
	case strings.HasPrefix(svc, "DynamoDB_"):
		c.ddb[action]++
		switch action {
		case "PutItem", "UpdateItem", "DeleteItem":
			c.ddbWrites++
		case "TransactWriteItems":
			var in struct {
				TransactItems []map[string]json.RawMessage
			}
			_ = json.Unmarshal(body, &in)
			for _, it := range in.TransactItems {
				if _, check := it["ConditionCheck"]; !check {
					c.ddbWrites++
					c.ddbTxItem++
				}
			}
		case "BatchWriteItem":
			var in struct {
				RequestItems map[string][]json.RawMessage
			}
			_ = json.Unmarshal(body, &in)
			for _, reqs := range in.RequestItems {
				c.ddbWrites += int64(len(reqs))
			}
		}
	default:
		c.other++
	}
}

func (c *counter) snapshot() (sqsN, ddbReq, ddbWrites, txItems int64, sqsBy, ddbBy map[string]int64) {
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
	return sqsN, ddbReq, c.ddbWrites, c.ddbTxItem, sqsBy, ddbBy
}

func proxy(target string, c *counter) (*httptest.Server, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	rp.ErrorLog = log.New(io.Discard, "", 0) // long polls cut short when workers stop
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t := r.Header.Get("X-Amz-Target"); t != "" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			c.count(t, body)
		} else {
			c.mu.Lock()
			c.other++
			c.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})), nil
}

// Run is one measured run.
type Run struct {
	Workers           int              `json:"workers"`
	Objects           int              `json:"objects"`
	Bytes             int64            `json:"bytes"`
	Seconds           float64          `json:"seconds"`
	ObjectsPerSecond  float64          `json:"objectsPerSecond"`
	SQSRequests       int64            `json:"sqsRequests"`
	SQSPerObject      float64          `json:"sqsRequestsPerObject"`
	DynamoRequests    int64            `json:"dynamoRequests"`
	DynamoWrites      int64            `json:"dynamoWriteItems"`
	DynamoPerObject   float64          `json:"dynamoWritesPerObject"`
	TransactionItems  int64            `json:"dynamoTransactionItems"`
	WCUPerObject      float64          `json:"dynamoWCUPerObject"` // transactional items count twice
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

func parallel(n, conc int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
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
	_ = parallel(len(keys), 32, func(i int) error {
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
	r.SQSRequests, r.DynamoRequests, r.DynamoWrites, r.TransactionItems, by1, by2 = e.counter.snapshot()
	r.SQSByAction, r.DynamoByAction = by1, by2
	r.ObjectsPerSecond = round(float64(objects) / r.Seconds)
	r.SQSPerObject = round3(float64(r.SQSRequests) / float64(objects))
	r.DynamoPerObject = round3(float64(r.DynamoWrites) / float64(objects))
	r.WCUPerObject = round3(float64(r.DynamoWrites+r.TransactionItems) / float64(objects))
	r.Status, r.Done = string(tk.Status), tk.Counters.DoneObjects
	stop()
	r.DestinationObject = countObjects(ctx, e.dst, dstBucket)
	if r.Status != string(state.TaskCompleted) || r.Done != int64(objects) || r.DestinationObject != objects {
		return r, fmt.Errorf("run with %d workers ended %s with %d of %d objects done, %d at the destination", workers, r.Status, r.Done, objects, r.DestinationObject)
	}
	return r, nil
}

// storeFloor times what the emulator alone needs for a run's records: the objects'
// transitions written in job-sized batches of 200, one after the other, into a fresh
// table (the emulator serializes DynamoDB requests, so workers cannot overlap them).
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
			objs = append(objs, state.Object{Key: fmt.Sprintf("%03d/obj-%06d", j%50, j), Size: 16384, Status: state.ItemDone, RunID: t.RunID})
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
	c := newCounter()
	px, err := proxy(*awsEndpoint, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(2)
	}
	defer px.Close()
	awsCfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(*awsEndpoint), RetryMaxAttempts: 5,
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")}
	e := &env{thub: *thub, awsEndpoint: *awsEndpoint, srcEndpoint: *srcEndpoint, dstEndpoint: *dstEndpoint, proxyURL: px.URL,
		src: s3client(*srcEndpoint, "SRC"), dst: s3client(*dstEndpoint, "DST"), sqs: sqs.NewFromConfig(awsCfg),
		ddb: dynamodb.NewFromConfig(awsCfg), counter: c}

	src := randName("th-fleetbench-src")
	if _, err := e.src.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(src)}); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench: create source bucket:", err)
		os.Exit(1)
	}
	defer emptyBucket(ctx, e.src, src)
	fmt.Fprintf(os.Stderr, "fleetbench: seeding %d x %d bytes\n", *objects, *size)
	body := make([]byte, *size)
	err = parallel(*objects, 64, func(i int) error {
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
