// Package cost estimates what a transfer costs in AWS from a dry run's counts (objects,
// bytes, keys listed): S3 requests, data transfer out (across Regions, partitions and
// clouds), compute hours, DynamoDB and SQS, each line with its quantity and unit price,
// and the assumptions it made. Prices come from one embedded, dated table per partition
// (prices/*.json: USD for aws and aws-us-gov, CNY for aws-cn). The desktop's review
// step, `thub s3 sync --dry-run`, `thub deploy s3-task --dry-run` and the fleet-cost
// report all use this one estimator.
package cost

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Clouds of a Place that are not an S3-compatible provider.
const (
	CloudAWS   = "aws"
	CloudLocal = "local" // this computer (a local directory, or the app's own run)
)

// Place is where one end of a transfer, or its compute, is.
type Place struct {
	// Cloud is CloudAWS, CloudLocal, or the S3-compatible provider's name
	// (aliyun-oss, gcs, ...): its prices are not AWS's and are left out.
	Cloud string `json:"cloud"`
	// Partition and Region of an AWS place; Region "" when unknown.
	Partition string `json:"partition,omitempty"`
	Region    string `json:"region,omitempty"`
}

func (p Place) aws() bool { return p.Cloud == CloudAWS }

func (p Place) String() string {
	switch p.Cloud {
	case CloudAWS:
		if p.Region == "" {
			return "AWS (" + p.Partition + ")"
		}
		return "AWS " + p.Region
	case CloudLocal:
		return "this computer"
	}
	return p.Cloud
}

// Kind is what a task copies.
type Kind string

// The kinds.
const (
	KindS3    Kind = "s3"
	KindImage Kind = "image"
)

// Usage is what one run would do: the dry run's counts and where the bytes go.
type Usage struct {
	Kind                Kind  `json:"kind"`
	Source, Destination Place `json:"-"`
	// Compute is where the copies run: CloudLocal for this computer, an AWS Region for
	// a cloud task (its workers, finder, queue and table).
	Compute Place `json:"-"`
	// ServerSide: S3 copies the objects itself (CopyObject/UploadPartCopy): no bytes
	// pass through the compute.
	ServerSide bool `json:"serverSide"`
	// Listed is the number of source keys listed (S3); Objects and Bytes what is to be
	// copied (images: the images to copy and, when known, their bytes).
	Listed  int64 `json:"listed"`
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// PartSize and MultipartThreshold of the copies (0: the engine's defaults).
	PartSize           int64 `json:"partSize,omitempty"`
	MultipartThreshold int64 `json:"multipartThreshold,omitempty"`
	// InstanceType of the workers (default c7g.large); Spot: they run on Spot.
	InstanceType string `json:"instanceType,omitempty"`
	Spot         bool   `json:"spot,omitempty"`
	// StoreWritesPerObject and StoreReadsPerObject are the DynamoDB request units the
	// cloud run's state store spends per object (0: DefaultWritesPerObject,
	// DefaultReadsPerObject).
	StoreWritesPerObject float64 `json:"storeWritesPerObject,omitempty"`
	StoreReadsPerObject  float64 `json:"storeReadsPerObject,omitempty"`
}

// Assumed figures of a run. They are printed with every estimate.
const (
	DefaultInstanceType = "c7g.large"
	// A worker copies this many bytes a second (a .large instance's network
	// baseline is about 0.9 Gbit/s), or this many small objects a second.
	WorkerBytesPerSecond   = 80 << 20
	WorkerObjectsPerSecond = 150
	// Workers stay this long after the queue empties (the stack's IdleMinutes).
	WorkerIdleSeconds = 600
	// The finder (Fargate, 1 vCPU, 2 GB, arm64) lists this many keys a second, and a
	// Fargate task is billed at least a minute.
	FinderKeysPerSecond = 5000
	FinderVCPU          = 1.0
	FinderGB            = 2.0
	FargateMinSeconds   = 60
	// Image copiers (Fargate, 0.5 vCPU, 1 GB, arm64): bytes a second, images a batch.
	CopierBytesPerSecond = 50 << 20
	CopierVCPU           = 0.5
	CopierGB             = 1.0
	ImagesPerBatch       = 20
	// Objects per queue message, SQS requests per message (send, receive, delete, a
	// visibility heartbeat) and an idle worker's long polls a minute.
	ObjectsPerMessage   = 200
	RequestsPerMessage  = 4
	IdlePollsPerMinute  = 3
	DefaultPartSize     = 8 << 20
	DefaultMultipartMin = 16 << 20
	// DefaultWritesPerObject: the DynamoDB store writes each object's record and the
	// counters in one transaction (billed twice), about 1.02 items per object.
	DefaultWritesPerObject = 2.04
	DefaultReadsPerObject  = 1.0
	// gb is the billing gigabyte (AWS bills data transfer per 2^30 bytes).
	gb = 1 << 30
)

// Line is one priced item.
type Line struct {
	// Service: s3, transfer, ec2, fargate, dynamodb, sqs.
	Service   string  `json:"service"`
	Item      string  `json:"item"`
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	UnitPrice float64 `json:"unitPrice"`
	Cost      float64 `json:"cost"`
	Currency  string  `json:"currency"`
	// Partition whose prices apply.
	Partition string `json:"partition"`
}

// Estimate is the cost of one run.
type Estimate struct {
	Lines []Line `json:"lines"`
	// Totals by currency (a transfer between aws and aws-cn is billed in both).
	Totals map[string]float64 `json:"totals"`
	// Assumptions made (throughputs, sizes, what is billed where).
	Assumptions []string `json:"assumptions"`
	// NotIncluded says what the estimate leaves out and why.
	NotIncluded []string `json:"notIncluded"`
	// Prices are the tables used: partition, currency, date, sources.
	Prices []PriceInfo `json:"prices"`
}

// PriceInfo names a price table an estimate used.
type PriceInfo struct {
	Partition  string   `json:"partition"`
	Currency   string   `json:"currency"`
	Date       string   `json:"date"`
	Region     string   `json:"region"`
	Unverified string   `json:"unverified,omitempty"`
	Sources    []Source `json:"sources"`
}

// Total is the estimate's total in one currency, "" when it has several.
func (e Estimate) Total() (float64, string) {
	if len(e.Totals) != 1 {
		return 0, ""
	}
	for c, v := range e.Totals {
		return v, c
	}
	return 0, ""
}

// String renders the totals: "2.11 USD", "1.20 USD + 8.35 CNY".
func (e Estimate) String() string {
	cs := make([]string, 0, len(e.Totals))
	for c := range e.Totals {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%.2f %s", e.Totals[c], c)
	}
	if len(parts) == 0 {
		return "0.00"
	}
	return strings.Join(parts, " + ")
}

// estimator accumulates an estimate.
type estimator struct {
	Estimate
	tables map[string]Table
	used   map[string]bool
	u      Usage
}

// Calculate estimates a run's cost from its usage.
func Calculate(u Usage) (Estimate, error) {
	if u.Objects < 0 || u.Bytes < 0 || u.Listed < 0 {
		return Estimate{}, errors.New("usage: counts cannot be negative")
	}
	ts, err := Tables()
	if err != nil {
		return Estimate{}, err
	}
	if u.Kind == "" {
		u.Kind = KindS3
	}
	u.PartSize = positiveOr(u.PartSize, DefaultPartSize)
	u.MultipartThreshold = positiveOr(u.MultipartThreshold, DefaultMultipartMin)
	if u.InstanceType == "" {
		u.InstanceType = DefaultInstanceType
	}
	u.StoreWritesPerObject = positiveOr(u.StoreWritesPerObject, DefaultWritesPerObject)
	u.StoreReadsPerObject = positiveOr(u.StoreReadsPerObject, DefaultReadsPerObject)
	for _, p := range []Place{u.Source, u.Destination, u.Compute} {
		if p.aws() {
			if _, ok := ts[p.Partition]; !ok {
				return Estimate{}, fmt.Errorf("no price table for partition %q: aws, aws-cn or aws-us-gov", p.Partition)
			}
		}
	}
	e := &estimator{tables: ts, used: map[string]bool{}, u: u}
	e.Totals = map[string]float64{}
	e.Lines, e.Assumptions, e.NotIncluded = []Line{}, []string{}, []string{}
	if u.Kind == KindS3 {
		e.s3Requests()
	}
	e.transfer()
	if u.Compute.aws() {
		if err := e.compute(); err != nil {
			return Estimate{}, err
		}
		if u.Kind == KindS3 {
			e.queueAndTable()
		}
	}
	e.notes()
	for _, l := range e.Lines {
		e.Totals[l.Currency] += l.Cost
	}
	parts := make([]string, 0, len(e.used))
	for p := range e.used {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	for _, p := range parts {
		t := ts[p]
		e.Prices = append(e.Prices, PriceInfo{Partition: p, Currency: t.Currency, Date: t.Date, Region: t.Region, Unverified: t.Unverified, Sources: t.Sources})
	}
	return e.Estimate, nil
}

func (e *estimator) add(partition, service, item string, qty float64, unit string, unitPrice float64) {
	if qty <= 0 {
		return
	}
	t := e.tables[partition]
	e.used[partition] = true
	e.Lines = append(e.Lines, Line{Service: service, Item: item, Quantity: qty, Unit: unit, UnitPrice: unitPrice,
		Cost: qty * unitPrice, Currency: t.Currency, Partition: partition})
}

func (e *estimator) assume(format string, args ...any) {
	e.Assumptions = append(e.Assumptions, fmt.Sprintf(format, args...))
}

func (e *estimator) exclude(format string, args ...any) {
	e.NotIncluded = append(e.NotIncluded, fmt.Sprintf(format, args...))
}

// multipart says whether the average object goes in parts, and how many parts there
// are in all.
func (e *estimator) parts() (multipart bool, parts int64) {
	u := e.u
	if u.Objects == 0 {
		return false, 0
	}
	avg := u.Bytes / u.Objects
	if avg < u.MultipartThreshold {
		return false, u.Objects
	}
	per := (avg + u.PartSize - 1) / u.PartSize
	return true, per * u.Objects
}

// s3Requests prices the LIST, GET, HEAD and PUT-class requests of each AWS side.
func (e *estimator) s3Requests() {
	u := e.u
	lists := (u.Listed + 999) / 1000
	multipart, parts := e.parts()
	if src := u.Source; src.aws() {
		t := e.tables[src.Partition]
		e.requests(src.Partition, "source LIST requests", lists, t.S3.PutPer1000)
		if !u.ServerSide {
			e.requests(src.Partition, "source GET requests", parts, t.S3.GetPer1000)
		}
	}
	if dst := u.Destination; dst.aws() {
		t := e.tables[dst.Partition]
		e.requests(dst.Partition, "destination LIST requests", lists, t.S3.PutPer1000)
		puts := parts
		if multipart {
			puts += 2 * u.Objects // create and complete each upload
		}
		what := "destination PUT requests"
		if u.ServerSide {
			what = "destination COPY requests"
		}
		e.requests(dst.Partition, what, puts, t.S3.PutPer1000)
		e.requests(dst.Partition, "destination HEAD requests (each copy verified)", u.Objects, t.S3.GetPer1000)
	}
	e.assume("the destination lists about as many keys as the source (%d)", u.Listed)
	if u.Objects > 0 {
		e.assume("every object has the average size (%s); objects from %s go in %s parts",
			size(u.Bytes/u.Objects), size(u.MultipartThreshold), size(u.PartSize))
	}
}

// requests adds n S3 requests priced per 1,000.
func (e *estimator) requests(partition, item string, n int64, per1000 float64) {
	e.add(partition, "s3", item, float64(n)/1000, "1,000 requests", per1000)
}

// leg is one hop of the bytes.
type leg struct {
	from, to Place
	what     string
}

// transfer prices the bytes leaving AWS places: nothing within a Region, the
// inter-Region price to another Region of the partition, the internet price to
// another partition, another cloud or this computer.
func (e *estimator) transfer() {
	u := e.u
	var legs []leg
	switch {
	case u.ServerSide:
		legs = []leg{{u.Source, u.Destination, "source to destination (server-side copy)"}}
	default:
		legs = []leg{{u.Source, u.Compute, "source to " + u.Compute.String()}, {u.Compute, u.Destination, u.Compute.String() + " to destination"}}
	}
	gbs := float64(u.Bytes) / gb
	for _, l := range legs {
		from, to := l.from, l.to
		switch {
		case from.Cloud == CloudLocal:
			// Leaving this computer is the user's own connection.
		case !from.aws():
			if u.Bytes > 0 {
				e.exclude("data leaving %s (%s): billed by that provider at its own prices", from.Cloud, l.what)
			}
		case to.aws() && to.Partition == from.Partition && (to.Region == from.Region || to.Region == "" || from.Region == ""):
			if to.Region == "" || from.Region == "" {
				e.assume("%s: both ends in the same Region (one Region is not known), so no data transfer charge", l.what)
			}
		case to.aws() && to.Partition == from.Partition:
			e.add(from.Partition, "transfer", "data transfer "+l.what+" (inter-Region)", gbs, "GB", e.tables[from.Partition].Transfer.InterRegionPerGB)
		default:
			e.add(from.Partition, "transfer", "data transfer out "+l.what+" (internet)", gbs, "GB", e.tables[from.Partition].Transfer.InternetPerGB)
		}
	}
	if u.Bytes > 0 {
		e.assume("data transfer out at the first tier's price (the first 10 TB of a month); data transfer into AWS is free")
	}
}

// compute prices the cloud run's workers and finder (S3) or copiers (images).
func (e *estimator) compute() error {
	u := e.u
	p := u.Compute.Partition
	t := e.tables[p]
	arm, ok := t.Fargate["arm64"]
	if !ok {
		return fmt.Errorf("price table %s has no Fargate arm64 prices", p)
	}
	if u.Kind == KindImage {
		batches := (u.Objects + ImagesPerBatch - 1) / ImagesPerBatch
		secs := max(float64(u.Bytes)/CopierBytesPerSecond, float64(batches*FargateMinSeconds))
		hours := secs / 3600
		e.add(p, "fargate", "image copiers: vCPU", hours*CopierVCPU, "vCPU-hours", arm.VCPUHour)
		e.add(p, "fargate", "image copiers: memory", hours*CopierGB, "GB-hours", arm.GBHour)
		e.assume("image copiers (Fargate arm64, %.1f vCPU, %.0f GB) copy %s/s, %d images a batch, each batch billed at least a minute",
			CopierVCPU, CopierGB, size(CopierBytesPerSecond), ImagesPerBatch)
		if u.Bytes == 0 {
			e.assume("image sizes are not known before copying: the copiers' time is the one-minute minimum per batch")
		}
		return nil
	}
	hour, err := t.InstanceHour(u.InstanceType)
	if err != nil {
		return err
	}
	busy := float64(u.Objects) / WorkerObjectsPerSecond
	if !u.ServerSide {
		busy = max(busy, float64(u.Bytes)/WorkerBytesPerSecond)
	}
	workerHours := (busy + WorkerIdleSeconds) / 3600
	e.add(p, "ec2", "workers ("+u.InstanceType+", on-demand)", workerHours, "instance-hours", hour)
	e.assume("a worker copies %s/s or %d small objects/s; the fleet's total instance-hours do not depend on how many run at once",
		size(WorkerBytesPerSecond), WorkerObjectsPerSecond)
	e.assume("workers stay %d minutes after the queue empties before the fleet scales to zero", WorkerIdleSeconds/60)
	if u.Spot {
		e.assume("the workers run on Spot: the on-demand price shown is an upper bound (Spot is usually far below it)")
	}
	finder := max(float64(u.Listed)/FinderKeysPerSecond, FargateMinSeconds) / 3600
	e.add(p, "fargate", "finder: vCPU", finder*FinderVCPU, "vCPU-hours", arm.VCPUHour)
	e.add(p, "fargate", "finder: memory", finder*FinderGB, "GB-hours", arm.GBHour)
	e.assume("the finder (Fargate arm64, %.0f vCPU, %.0f GB) lists %d keys/s and is billed at least a minute", FinderVCPU, FinderGB, FinderKeysPerSecond)
	return nil
}

// queueAndTable prices the cloud run's SQS requests and DynamoDB request units.
func (e *estimator) queueAndTable() {
	u := e.u
	p := u.Compute.Partition
	t := e.tables[p]
	e.add(p, "dynamodb", "task table writes", float64(u.Objects)*u.StoreWritesPerObject/1e6, "million write request units", t.DynamoDB.WriteUnitsPerMillion)
	e.add(p, "dynamodb", "task table reads", float64(u.Objects)*u.StoreReadsPerObject/1e6, "million read request units", t.DynamoDB.ReadUnitsPerMillion)
	e.assume("the task table takes %.2f write and %.2f read request units per object (on-demand)", u.StoreWritesPerObject, u.StoreReadsPerObject)
	messages := (u.Objects + ObjectsPerMessage - 1) / ObjectsPerMessage
	requests := float64(messages*RequestsPerMessage + WorkerIdleSeconds/60*IdlePollsPerMinute)
	e.add(p, "sqs", "job queue requests", requests/1e6, "million requests", t.SQS.RequestsPerMillion)
	e.assume("%d objects a queue message, %d SQS requests a message, and %d long polls a minute while a worker idles", ObjectsPerMessage, RequestsPerMessage, IdlePollsPerMinute)
}

func (e *estimator) notes() {
	u := e.u
	for _, s := range []struct {
		p    Place
		side string
	}{{u.Source, "source"}, {u.Destination, "destination"}} {
		if !s.p.aws() && s.p.Cloud != CloudLocal && u.Kind == KindS3 {
			e.exclude("requests to the %s (%s): billed by that provider", s.side, s.p.Cloud)
		}
	}
	if u.Compute.aws() {
		e.exclude("the stacks' fixed monthly costs (alarms, dashboard, KMS key: cloud/docs/deploy.md, Monthly cost at rest), CloudWatch Logs, KMS requests and the Lambda's listing (cents at most)")
	} else {
		e.assume("the copies run on this computer: no compute, queue or table is billed")
	}
	if u.Kind == KindS3 {
		e.exclude("storage of the copies at the destination (a monthly charge, not the transfer's)")
	}
	if u.Kind == KindImage {
		e.exclude("registry requests: Amazon ECR charges none; other registries bill their own")
	}
}

// positiveOr is v, or def when v is unset (zero or less).
func positiveOr[T int64 | float64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %ciB", v, "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}

// ServiceTotal is what one service costs in one currency.
type ServiceTotal struct {
	Service  string  `json:"service"`
	Label    string  `json:"label"`
	Cost     float64 `json:"cost"`
	Currency string  `json:"currency"`
}

var serviceLabels = map[string]string{"s3": "S3 requests", "transfer": "data transfer", "ec2": "EC2 workers",
	"fargate": "Fargate", "dynamodb": "DynamoDB", "sqs": "SQS"}

// ByService sums the lines by service and currency, in the order they first appear.
func (e Estimate) ByService() []ServiceTotal {
	var out []ServiceTotal
	idx := map[[2]string]int{}
	for _, l := range e.Lines {
		k := [2]string{l.Service, l.Currency}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, ServiceTotal{Service: l.Service, Label: serviceLabels[l.Service], Currency: l.Currency})
		}
		out[i].Cost += l.Cost
	}
	return out
}
