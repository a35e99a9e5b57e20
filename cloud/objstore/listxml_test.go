package objstore

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
)

// canned answers every request with one body.
type canned struct {
	status int
	body   string
}

func (c canned) Do(r *http.Request) (*http.Response, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	h.Set("x-amz-request-charged", " requester ")
	return &http.Response{StatusCode: c.status, Header: h, Body: io.NopCloser(strings.NewReader(c.body)),
		ContentLength: int64(len(c.body)), Request: r}, nil
}

// bothWays lists with the SDK's decoder and with the fast one, from the same body.
func bothWays(t testing.TB, status int, body string) (sdk, fast *s3.ListObjectsV2Output, sdkErr, fastErr error) {
	t.Helper()
	c := s3.New(s3.Options{Region: "us-east-1", HTTPClient: canned{status, body}, BaseEndpoint: aws.String("http://127.0.0.1:1"),
		UsePathStyle: true, Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	in := &s3.ListObjectsV2Input{Bucket: aws.String("b")}
	sdk, sdkErr = c.ListObjectsV2(context.Background(), in)
	fast, fastErr = c.ListObjectsV2(context.Background(), in, fastListV2)
	for _, o := range []*s3.ListObjectsV2Output{sdk, fast} {
		if o != nil {
			o.ResultMetadata = s3.ListObjectsV2Output{}.ResultMetadata
		}
	}
	return sdk, fast, sdkErr, fastErr
}

func requireSame(t *testing.T, status int, body string) {
	t.Helper()
	sdk, fast, sdkErr, fastErr := bothWays(t, status, body)
	if sdkErr != nil || fastErr != nil {
		require.Error(t, sdkErr, "the SDK decodes it, the fast path fails: %v", fastErr)
		require.Error(t, fastErr, "the SDK fails (%v), the fast path decodes it", sdkErr)
		require.Equal(t, errShape(sdkErr), errShape(fastErr))
		return
	}
	require.True(t, reflect.DeepEqual(sdk, fast), "results differ\nsdk:  %s\nfast: %s", dump(sdk), dump(fast))
}

// errShape is an error without its request-specific parts.
func errShape(err error) string {
	s := err.Error()
	if i := strings.Index(s, "RequestID"); i > 0 {
		s = s[:i]
	}
	return s
}

func dump(o *s3.ListObjectsV2Output) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name=%v prefix=%v delim=%v max=%v count=%v trunc=%v enc=%q ct=%v nct=%v sa=%v charged=%q\n",
		deref(o.Name), deref(o.Prefix), deref(o.Delimiter), deref(o.MaxKeys), deref(o.KeyCount), deref(o.IsTruncated),
		o.EncodingType, deref(o.ContinuationToken), deref(o.NextContinuationToken), deref(o.StartAfter), o.RequestCharged)
	for _, c := range o.Contents {
		fmt.Fprintf(&b, "  key=%q etag=%v size=%v lm=%v sc=%q ca=%v ct=%q owner=%+v restore=%+v\n", deref(c.Key), deref(c.ETag),
			deref(c.Size), deref(c.LastModified), c.StorageClass, c.ChecksumAlgorithm, c.ChecksumType, c.Owner, c.RestoreStatus)
	}
	for _, p := range o.CommonPrefixes {
		fmt.Fprintf(&b, "  prefix=%v\n", deref(p.Prefix))
	}
	return b.String()
}

func deref[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

const awsList = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>photos/</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><EncodingType>url</EncodingType><ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken><NextContinuationToken>1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg==</NextContinuationToken><StartAfter>photos/a</StartAfter><Contents><Key>photos/2006/a+b%2Bc.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>434234</Size><StorageClass>STANDARD</StorageClass><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>mtd</DisplayName></Owner></Contents><Contents><Key>photos/2006/big</Key><LastModified>2024-01-02T03:04:05Z</LastModified><ETag>"a1b2-3"</ETag><Size>9000000000</Size><StorageClass>GLACIER</StorageClass><RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress><RestoreExpiryDate>2024-02-01T00:00:00.000Z</RestoreExpiryDate></RestoreStatus></Contents><Contents><Key></Key><Size>0</Size><Owner/></Contents><CommonPrefixes><Prefix>photos/2006/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>photos/2007/</Prefix></CommonPrefixes></ListBucketResult>`

const prettyList = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
    <Name>b</Name>
    <Prefix></Prefix>
    <Contents>
        <Key>a &amp; b &lt;c&gt; &#x41;&#66; é 日本 🙂</Key>
        <LastModified>2026-11-26T01:02:03.123456Z</LastModified>
        <ETag>&quot;x&quot;</ETag>
        <Size>1</Size>
        <Unknown attr='v' other="w"><Deep><Deeper>t</Deeper></Deep><Empty/></Unknown>
    </Contents>
    <Marker/>
    <IsTruncated>false</IsTruncated>
</ListBucketResult>
`

func TestFastListDecodesLikeTheSDK(t *testing.T) {
	for name, body := range map[string]string{
		"aws":    awsList,
		"pretty": prettyList,
		"empty":  "",
		"blank":  "  \n",
		"bare":   `<ListBucketResult/>`,
		"case":   `<listbucketresult><contents><key>k</key><size>2</size></contents><istruncated>TRUE</istruncated></listbucketresult>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, ok := decodeListV2([]byte(body))
			require.True(t, ok, "the fast path should decode this body itself")
			requireSame(t, 200, body)
		})
	}
}

func TestFastListLeavesOddBodiesToTheSDK(t *testing.T) {
	for name, body := range map[string]string{
		"comment":       `<ListBucketResult><!-- c --><Name>b</Name></ListBucketResult>`,
		"cdata":         `<ListBucketResult><Name><![CDATA[b]]></Name></ListBucketResult>`,
		"cr":            "<ListBucketResult><Contents><Key>a\r\nb</Key></Contents></ListBucketResult>",
		"entity":        `<ListBucketResult><Name>&nbsp;</Name></ListBucketResult>`,
		"entity text":   `<ListBucketResult>&bogus;<Name>b</Name></ListBucketResult>`,
		"mismatch":      `<ListBucketResult><Contents><Key>a</Size></Contents></ListBucketResult>`,
		"bad size":      `<ListBucketResult><Contents><Size>12x</Size></Contents></ListBucketResult>`,
		"spaced size":   `<ListBucketResult><Contents><Size> 12 </Size></Contents></ListBucketResult>`,
		"bad bool":      `<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>`,
		"bad time":      `<ListBucketResult><Contents><LastModified>yesterday</LastModified></Contents></ListBucketResult>`,
		"nested value":  `<ListBucketResult><Name><b>x</b></Name></ListBucketResult>`,
		"ns prefix":     `<ListBucketResult xmlns:s="u"><s:Name>b</s:Name></ListBucketResult>`,
		"bad utf8":      "<ListBucketResult><Name>\xff</Name></ListBucketResult>",
		"ctrl char":     "<ListBucketResult><Name>a\x01</Name></ListBucketResult>",
		"bad attr":      `<ListBucketResult foo><Name>b</Name></ListBucketResult>`,
		"truncated":     `<ListBucketResult><Contents><Key>a</Key>`,
		"trailing":      `<ListBucketResult><Name>b</Name></ListBucketResult><x/>`,
		"text root":     `hello`,
		"bad char ref":  `<ListBucketResult><Name>&#0;</Name></ListBucketResult>`,
		"unclosed attr": `<ListBucketResult a="><Name>b</Name></ListBucketResult>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, ok := decodeListV2([]byte(body))
			require.False(t, ok, "the fast path must leave this body to the SDK")
			requireSame(t, 200, body)
		})
	}
}

func TestFastListKeepsTheSDKErrors(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>b</BucketName></Error>`
	_, _, sdkErr, fastErr := bothWays(t, 404, body)
	require.Error(t, fastErr)
	require.Contains(t, fastErr.Error(), "NoSuchBucket")
	require.Equal(t, errShape(sdkErr), errShape(fastErr))
}

// Any body: the fast path either declines it or decodes exactly what the SDK decodes.
func FuzzFastList(f *testing.F) {
	for _, b := range []string{awsList, prettyList, "", `<ListBucketResult/>`, `<a><Contents><Key>&amp;</Key></Contents></a>`} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if _, ok := decodeListV2([]byte(body)); !ok {
			return
		}
		sdk, fast, sdkErr, fastErr := bothWays(t, 200, body)
		if sdkErr != nil {
			t.Fatalf("the fast path decoded a body the SDK rejects (%v): %q", sdkErr, body)
		}
		if fastErr != nil || !reflect.DeepEqual(sdk, fast) {
			t.Fatalf("results differ for %q\nsdk:  %s\nfast: %s (%v)", body, dump(sdk), dump(fast), fastErr)
		}
	})
}

// go test -bench FastList ./cloud/objstore: the decoding cost per 1,000-key page.
func BenchmarkFastList(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>a/</Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>`)
	for i := range 1000 {
		fmt.Fprintf(&sb, `<Contents><Key>a/%03d/obj-%06d</Key><LastModified>2026-11-26T01:02:03.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>16384</Size><StorageClass>STANDARD</StorageClass></Contents>`, i/100, i)
	}
	sb.WriteString(`</ListBucketResult>`)
	body := sb.String()
	c := s3.New(s3.Options{Region: "us-east-1", HTTPClient: canned{200, body}, BaseEndpoint: aws.String("http://127.0.0.1:1"),
		UsePathStyle: true, Credentials: aws.AnonymousCredentials{}})
	in := &s3.ListObjectsV2Input{Bucket: aws.String("b")}
	b.Run("sdk", func(b *testing.B) {
		for range b.N {
			if _, err := c.ListObjectsV2(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			if _, err := c.ListObjectsV2(context.Background(), in, fastListV2); err != nil {
				b.Fatal(err)
			}
		}
	})
}
