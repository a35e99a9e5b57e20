package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Check lists one key to prove the bucket exists and the credentials can read it.
func (s *S3) Check(ctx context.Context, write bool) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s.DetectRegion(ctx)
	_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix), MaxKeys: aws.Int32(1), RequestPayer: s.payer(),
	}, func(o *s3.Options) { o.RetryMaxAttempts = 2 })
	if err == nil {
		return nil
	}
	where := s.URL()
	if s.endpoint != "" {
		where += " at " + s.endpoint
	}
	if msg, ok := credentialFailure(err); ok {
		if strings.Contains(msg, "EC2 IMDS") || strings.Contains(msg, "ec2imds") {
			return fmt.Errorf("%w for %s: none were given, and none were found in the environment, the shared config files or EC2 instance metadata", ErrNoCredentials, where)
		}
		return fmt.Errorf("get credentials for %s: %s", where, msg)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("bucket %q does not exist (%s)", s.bucket, where)
		case "InvalidAccessKeyId", "XAdminUserNotFound": // the latter: versitygw
			return fmt.Errorf("credentials rejected for %s: the access key id is unknown to the service (InvalidAccessKeyId)", where)
		case "SignatureDoesNotMatch":
			return fmt.Errorf("credentials rejected for %s: wrong secret key (SignatureDoesNotMatch)", where)
		case "AccessDenied", "AllAccessDisabled":
			return fmt.Errorf("access denied to %s: the credentials may not list this bucket (AccessDenied)", where)
		case "InvalidBucketName":
			return fmt.Errorf("invalid bucket name %q (%s)", s.bucket, where)
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			return fmt.Errorf("bucket %q is in another region than %q: set the region (%s)", s.bucket, s.region, ae.ErrorCode())
		}
		return fmt.Errorf("check %s: %s: %s", where, ae.ErrorCode(), ae.ErrorMessage())
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("cannot reach %s: no answer within 60 s", where)
	case ctx.Err() != nil:
		// Interrupted (Ctrl-C, SIGTERM: a stopped finder): not the endpoint's fault.
		return fmt.Errorf("check %s: %w", where, ctx.Err())
	}
	return fmt.Errorf("cannot reach %s: %w", where, unwrapNet(err))
}

// credentialFailure tells whether err is the SDK failing to get credentials (before any
// request was sent) and returns the provider's own words.
func credentialFailure(err error) (string, bool) {
	msg := err.Error()
	i := strings.Index(msg, "get identity: ")
	if i < 0 {
		return "", false
	}
	msg = msg[i+len("get identity: "):]
	msg = strings.TrimPrefix(msg, "get credentials: ")
	msg = strings.TrimPrefix(msg, "failed to refresh cached credentials, ")
	return msg, true
}

// unwrapNet trims SDK wrapping down to the network error a user can act on.
func unwrapNet(err error) error {
	var oe interface{ Unwrap() error }
	for errors.As(err, &oe) {
		inner := oe.Unwrap()
		if inner == nil {
			break
		}
		if _, ok := inner.(*url.Error); ok {
			return inner
		}
		err = inner
	}
	return err
}

func (s *S3) mapErr(op, key string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchUpload":
			return fmt.Errorf("%s %s: %w (%s)", op, s.URL()+key, ErrNotFound, ae.ErrorCode())
		case "PreconditionFailed":
			return fmt.Errorf("%s %s: %w", op, s.URL()+key, ErrPrecondition)
		}
		return fmt.Errorf("%s %s: %w", op, s.URL()+key, conciseAPIError{ae: ae, err: err, kind: apiErrorKind(ae.ErrorCode(), err)})
	}
	return fmt.Errorf("%s %s: %w", op, s.URL()+key, err)
}

// apiErrorKind classes a service error code (nil for the others: throttling, timeouts,
// a body cut short, a digest that did not match the data sent are all worth another try).
// All but access denials are permanent (conciseAPIError.Is): those may be lifted by
// credentials renewed meanwhile (a rotated secret) or a policy taking effect.
func apiErrorKind(code string, err error) error {
	switch code {
	case "AccessDenied", "AllAccessDisabled", "AccountProblem", "InvalidAccessKeyId", "SignatureDoesNotMatch",
		"InvalidSecurity", "InvalidPayer", "NotSignedUp":
		return ErrAccessDenied
	case "NoSuchBucket":
		return ErrNoBucket
	case "InvalidArgument", "InvalidRequest", "KeyTooLongError", "MetadataTooLarge", "EntityTooLarge", "EntityTooSmall",
		"InvalidStorageClass", "InvalidTag", "InvalidObjectName", "InvalidEncryptionAlgorithmError", "InvalidDigest",
		"MalformedXML", "InvalidURI", "InvalidObjectState", "NotImplemented",
		"MethodNotAllowed", "UnsupportedOperation", "InvalidRange", "MissingContentLength", "TooManyParts":
		return ErrRejected
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case 405, 501:
			return ErrRejected
		}
	}
	return nil
}

// conciseAPIError says what the service answered in the words a user reads on a failed
// object ("AccessDenied: Access Denied (HTTP 403, request id X)"), without the SDK's
// operation prefix and host id; the SDK's error stays underneath for errors.As, and its
// class (kind, one of the sentinels; nil when a retry may help) for errors.Is.
type conciseAPIError struct {
	ae   smithy.APIError
	err  error
	kind error
}

func (e conciseAPIError) Is(target error) bool {
	return e.kind != nil && (target == e.kind || target == ErrPermanent && e.kind != ErrAccessDenied)
}

func (e conciseAPIError) Error() string {
	msg := e.ae.ErrorCode()
	if m := e.ae.ErrorMessage(); m != "" {
		msg += ": " + m
	}
	var re *awshttp.ResponseError
	if errors.As(e.err, &re) {
		msg += fmt.Sprintf(" (HTTP %d", re.HTTPStatusCode())
		if id := re.ServiceRequestID(); id != "" {
			msg += ", request id " + id
		}
		msg += ")"
	}
	return msg
}

func (e conciseAPIError) Unwrap() error { return e.err }
