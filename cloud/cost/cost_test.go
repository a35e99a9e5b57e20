package cost

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/cloud/spec"
)

func lineCost(t *testing.T, e Estimate, item string) float64 {
	t.Helper()
	for _, l := range e.Lines {
		if l.Item == item {
			return l.Cost
		}
	}
	t.Fatalf("no line %q in %+v", item, e.Lines)
	return 0
}

// A cloud run in us-west-2 copies 10,000 of 100,000 objects (100 GiB, 10 MiB each)
// from a bucket in us-east-1. Computed by hand from prices/aws.json:
//
//	source LIST       100 requests     × 0.005/1000   = 0.0005
//	source GET        10,000           × 0.0004/1000  = 0.004
//	destination LIST  100              × 0.005/1000   = 0.0005
//	destination PUT   10,000           × 0.005/1000   = 0.05
//	destination HEAD  10,000           × 0.0004/1000  = 0.004
//	inter-Region      100 GB           × 0.02         = 2.00
//	workers           (100 GiB / 80 MiB/s = 1280 s) + 600 s idle = 1880 s
//	                  = 0.522222 h     × 0.0725       = 0.0378611
//	finder            60 s (the minimum; 100,000 keys take 20 s)
//	                  1/60 h × 1 vCPU  × 0.03238      = 0.00053967
//	                  1/60 h × 2 GB    × 0.00356      = 0.00011867
//	DynamoDB writes   10,000 × 2.04 = 20,400 WRU × 0.625/1e6 = 0.01275
//	DynamoDB reads    10,000 RRU       × 0.125/1e6    = 0.00125
//	SQS               50 messages × 4 + 10 min × 3 polls = 230 × 0.40/1e6 = 0.000092
//	total                                             = 2.11161144
func TestEstimateByHand(t *testing.T) {
	e, err := Calculate(Usage{Kind: KindS3,
		Source:      Place{Cloud: CloudAWS, Partition: "aws", Region: "us-east-1"},
		Destination: Place{Cloud: CloudAWS, Partition: "aws", Region: "us-west-2"},
		Compute:     Place{Cloud: CloudAWS, Partition: "aws", Region: "us-west-2"},
		Listed:      100_000, Objects: 10_000, Bytes: 100 << 30})
	require.NoError(t, err)
	const eps = 1e-9
	for _, want := range []struct {
		item string
		cost float64
	}{
		{"source LIST requests", 0.0005},
		{"source GET requests", 0.004},
		{"destination LIST requests", 0.0005},
		{"destination PUT requests", 0.05},
		{"destination HEAD requests (each copy verified)", 0.004},
		{"data transfer source to AWS us-west-2 (inter-Region)", 2.00},
		{"workers (c7g.large, on-demand)", 0.0378611111},
		{"finder: vCPU", 0.0005396667},
		{"finder: memory", 0.0001186667},
		{"task table writes", 0.01275},
		{"task table reads", 0.00125},
		{"job queue requests", 0.000092},
	} {
		assert.InDelta(t, want.cost, lineCost(t, e, want.item), eps, want.item)
	}
	total, cur := e.Total()
	assert.Equal(t, "USD", cur)
	assert.InDelta(t, 2.11161144, total, 1e-8)
	assert.Equal(t, "2.11 USD", e.String())
	require.Len(t, e.Prices, 1)
	assert.Equal(t, "2026-06-17", e.Prices[0].Date)
	assert.NotEmpty(t, e.Prices[0].Sources)
	joined := strings.Join(e.Assumptions, "\n")
	assert.Contains(t, joined, "80 MiB/s")
	assert.Contains(t, joined, "10 minutes")
	assert.Contains(t, strings.Join(e.NotIncluded, "\n"), "storage of the copies")
}

func TestEstimateMultipartAndServerSide(t *testing.T) {
	// 10 objects of 80 MiB each: 10 parts of 8 MiB per object: 100 part copies plus
	// create and complete of each upload; a server-side copy in one Region moves no
	// bytes through workers and pays no transfer.
	e, err := Calculate(Usage{Kind: KindS3, ServerSide: true,
		Source:      Place{Cloud: CloudAWS, Partition: "aws", Region: "eu-west-1"},
		Destination: Place{Cloud: CloudAWS, Partition: "aws", Region: "eu-west-1"},
		Compute:     Place{Cloud: CloudAWS, Partition: "aws", Region: "eu-west-1"},
		Listed:      10, Objects: 10, Bytes: 800 << 20})
	require.NoError(t, err)
	assert.InDelta(t, 120*0.005/1000, lineCost(t, e, "destination COPY requests"), 1e-12)
	for _, l := range e.Lines {
		assert.NotEqual(t, "transfer", l.Service, l.Item)
		assert.NotEqual(t, "source GET requests", l.Item)
	}
	// Workers: 10 objects / 150 per second, plus the idle tail.
	assert.InDelta(t, (10.0/150+600)/3600*0.0725, lineCost(t, e, "workers (c7g.large, on-demand)"), 1e-12)
}

func TestEstimateAcrossPartitionsAndClouds(t *testing.T) {
	// From aws (Tokyo) to aws-cn (Beijing), workers in Beijing: the source's bytes
	// leave aws at its internet price in USD, the rest is billed in CNY.
	e, err := Calculate(Usage{Kind: KindS3,
		Source:      Place{Cloud: CloudAWS, Partition: "aws", Region: "ap-northeast-1"},
		Destination: Place{Cloud: CloudAWS, Partition: "aws-cn", Region: "cn-north-1"},
		Compute:     Place{Cloud: CloudAWS, Partition: "aws-cn", Region: "cn-north-1"},
		Listed:      1000, Objects: 1000, Bytes: 10 << 30, InstanceType: "c6g.xlarge"})
	require.NoError(t, err)
	assert.InDelta(t, 10*0.09, lineCost(t, e, "data transfer out source to AWS cn-north-1 (internet)"), 1e-9)
	assert.Len(t, e.Totals, 2)
	assert.Contains(t, e.String(), "USD")
	assert.Contains(t, e.String(), "CNY")
	for _, l := range e.Lines {
		if l.Service == "ec2" {
			assert.Equal(t, "CNY", l.Currency)
			assert.InDelta(t, 2*0.488, l.UnitPrice, 1e-9, "xlarge is twice the large size")
		}
	}
	assert.Len(t, e.Prices, 2)
	assert.NotEmpty(t, e.Prices[1].Unverified, "aws-cn prices say they were not checked against a found page")

	// From another cloud to this computer to S3: the provider's egress is left out and
	// said so; nothing runs in AWS.
	e, err = Calculate(Usage{Kind: KindS3,
		Source:      Place{Cloud: "aliyun-oss"},
		Destination: Place{Cloud: CloudAWS, Partition: "aws", Region: "us-east-1"},
		Compute:     Place{Cloud: CloudLocal},
		Listed:      5, Objects: 5, Bytes: 5 << 20})
	require.NoError(t, err)
	notes := strings.Join(e.NotIncluded, "\n")
	assert.Contains(t, notes, "data leaving aliyun-oss")
	assert.Contains(t, notes, "requests to the source (aliyun-oss)")
	for _, l := range e.Lines {
		assert.Equal(t, "s3", l.Service, "a local run pays only the destination's requests: %s", l.Item)
	}
	assert.Contains(t, strings.Join(e.Assumptions, "\n"), "this computer")

	// A local run reading from AWS pays the internet egress.
	e, err = Calculate(Usage{Kind: KindS3, Source: Place{Cloud: CloudAWS, Partition: "aws-us-gov", Region: "us-gov-west-1"},
		Destination: Place{Cloud: CloudLocal}, Compute: Place{Cloud: CloudLocal}, Listed: 1, Objects: 1, Bytes: 1 << 30})
	require.NoError(t, err)
	assert.InDelta(t, 0.155, lineCost(t, e, "data transfer out source to this computer (internet)"), 1e-9)
}

func TestEstimateImages(t *testing.T) {
	e, err := Calculate(Usage{Kind: KindImage, Source: Place{Cloud: "registry"},
		Destination: Place{Cloud: CloudAWS, Partition: "aws", Region: "us-east-1"},
		Compute:     Place{Cloud: CloudAWS, Partition: "aws", Region: "us-east-1"}, Objects: 45})
	require.NoError(t, err)
	// 3 batches, each at least a minute: 180 s at 0.5 vCPU and 1 GB.
	assert.InDelta(t, 180.0/3600*0.5*0.03238, lineCost(t, e, "image copiers: vCPU"), 1e-12)
	assert.InDelta(t, 180.0/3600*1*0.00356, lineCost(t, e, "image copiers: memory"), 1e-12)
	assert.Contains(t, strings.Join(e.Assumptions, "\n"), "image sizes are not known")
}

func TestEstimateRefusals(t *testing.T) {
	_, err := Calculate(Usage{Compute: Place{Cloud: CloudAWS, Partition: "aws-iso"}})
	assert.ErrorContains(t, err, `no price table for partition "aws-iso"`)
	_, err = Calculate(Usage{Objects: -1})
	assert.ErrorContains(t, err, "negative")
	_, err = Calculate(Usage{Compute: Place{Cloud: CloudAWS, Partition: "aws"}, InstanceType: "z9q.large", Objects: 1})
	assert.ErrorContains(t, err, "no price for instance family z9q")
}

func TestPriceTables(t *testing.T) {
	ts, err := Tables()
	require.NoError(t, err)
	want := map[string]string{"aws": "USD", "aws-us-gov": "USD", "aws-cn": "CNY"}
	require.Len(t, ts, len(want))
	for p, cur := range want {
		tb := ts[p]
		assert.Equal(t, cur, tb.Currency, p)
		assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, tb.Date, p)
		assert.NotEmpty(t, tb.Sources, p)
		for _, s := range tb.Sources {
			assert.True(t, strings.HasPrefix(s.URL, "https://"), "%s: %s", p, s.URL)
		}
		assert.Positive(t, tb.S3.PutPer1000, p)
		assert.Positive(t, tb.S3.GetPer1000, p)
		assert.Positive(t, tb.Transfer.InternetPerGB, p)
		assert.Positive(t, tb.Transfer.InterRegionPerGB, p)
		assert.Positive(t, tb.DynamoDB.WriteUnitsPerMillion, p)
		assert.Positive(t, tb.SQS.RequestsPerMillion, p)
		h, err := tb.InstanceHour("c6g.large")
		require.NoError(t, err, p)
		assert.Positive(t, h, p)
		h4, err := tb.InstanceHour("c6g.4xlarge")
		require.NoError(t, err, p)
		assert.InDelta(t, 8*h, h4, 1e-9, p)
		assert.Positive(t, tb.Fargate["arm64"].VCPUHour, p)
	}
}

func TestByServiceAndPlaces(t *testing.T) {
	e := Estimate{Lines: []Line{{Service: "s3", Cost: 1, Currency: "USD"}, {Service: "transfer", Cost: 2, Currency: "USD"},
		{Service: "s3", Cost: 0.5, Currency: "USD"}, {Service: "s3", Cost: 3, Currency: "CNY"}}}
	assert.Equal(t, []ServiceTotal{{Service: "s3", Label: "S3 requests", Cost: 1.5, Currency: "USD"},
		{Service: "transfer", Label: "data transfer", Cost: 2, Currency: "USD"}, {Service: "s3", Label: "S3 requests", Cost: 3, Currency: "CNY"}}, e.ByService())

	assert.Equal(t, Place{Cloud: CloudAWS, Partition: "aws-cn", Region: "cn-northwest-1"}, RegionPlace("cn-northwest-1"))
	assert.Equal(t, Place{Cloud: CloudLocal}, SidePlace(spec.Side{Kind: spec.KindLocal, Path: "/x"}, "", ""))
	assert.Equal(t, Place{Cloud: "aliyun-oss"}, SidePlace(spec.Side{Kind: spec.KindS3, Provider: "aliyun-oss"}, "cn-hangzhou", ""))
	assert.Equal(t, Place{Cloud: "other"}, SidePlace(spec.Side{Kind: spec.KindS3, Endpoint: "http://127.0.0.1:9000"}, "us-east-1", ""))
	assert.Equal(t, RegionPlace("eu-west-1"), SidePlace(spec.Side{Kind: spec.KindS3, Bucket: "b"}, "eu-west-1", ""), "the Region the bucket was found in")
	assert.Equal(t, RegionPlace("us-gov-east-1"), SidePlace(spec.Side{Kind: spec.KindS3, Region: "us-gov-east-1"}, "us-east-1", ""), "the side's own Region wins")
	assert.Equal(t, Place{Cloud: CloudAWS, Partition: "aws-cn"}, SidePlace(spec.Side{Kind: spec.KindS3}, "", "aws-cn"))
}
