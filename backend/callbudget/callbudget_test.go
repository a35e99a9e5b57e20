package callbudget

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestSlidingWindow(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	b := New(3, c.now)
	assert.True(t, b.Allow(3))
	assert.False(t, b.Allow(4))
	b.Spend()
	c.t = c.t.Add(20 * time.Second)
	b.Spend()
	assert.True(t, b.Allow(1))
	assert.False(t, b.Allow(2))
	b.Spend()
	b.Spend() // a call a person asked for: counted even past the limit
	assert.Equal(t, 4, b.InWindow())
	assert.False(t, b.Allow(1))
	c.t = c.t.Add(40 * time.Second) // the first call is a minute old
	assert.Equal(t, 3, b.InWindow())
	assert.False(t, b.Allow(1))
	c.t = c.t.Add(20 * time.Second)
	assert.Equal(t, 0, b.InWindow())
	assert.True(t, b.Allow(3))
	assert.EqualValues(t, 4, b.Total())
	b.SetLimit(10)
	assert.Equal(t, 10, b.Limit())
}

// Install counts the requests of SDK clients (each attempt, retries included) for the
// contexts that carry a budget, and nothing for the others.
func TestInstallCountsRequests(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError) // retried by the SDK
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Attributes":{}}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b"}, nil
		})}
	Install(&cfg)
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.RetryMaxAttempts = 3 })
	b := New(30, nil)
	_, err := client.GetQueueAttributes(With(context.Background(), b), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(srv.URL + "/q")})
	require.NoError(t, err)
	assert.EqualValues(t, 2, b.Total(), "the failed attempt and its retry")
	_, err = client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(srv.URL + "/q")})
	require.NoError(t, err)
	assert.EqualValues(t, 2, b.Total(), "a context without the budget spends nothing from it")
	assert.EqualValues(t, 3, hits.Load())
}
