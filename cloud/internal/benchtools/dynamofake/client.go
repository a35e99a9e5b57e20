package dynamofake

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Client serves a new fake over local HTTP until tb ends and returns the SDK's DynamoDB
// client of it: tests and benchmarks reach the fake through the real protocol.
func Client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	srv := httptest.NewServer(New())
	tb.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake", "")})
}
