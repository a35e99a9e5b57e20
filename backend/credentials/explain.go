package credentials

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/regclient/regclient/types/errs"
)

// Problem codes of a failed connection test: stable strings the UI may key on.
const (
	CodeOK               = "ok"
	CodeWrongAccessKey   = "wrong-access-key"
	CodeWrongSecret      = "wrong-secret"
	CodeExpiredToken     = "expired-token"
	CodeClockSkew        = "clock-skew"
	CodeAccessDenied     = "access-denied"
	CodeNoSuchBucket     = "no-such-bucket"
	CodeWrongRegion      = "wrong-region"
	CodeUnreachable      = "unreachable"
	CodeHostNotFound     = "host-not-found"
	CodeTimeout          = "timeout"
	CodeTLSUnknownCA     = "tls-unknown-authority"
	CodeTLSHostname      = "tls-hostname-mismatch"
	CodeTLSExpired       = "tls-certificate-invalid"
	CodeTLSNotTLS        = "tls-plain-http"
	CodeHTTPToTLS        = "http-to-tls"
	CodeUnauthorized     = "unauthorized"
	CodeNotRegistry      = "not-a-registry"
	CodeSecretMissing    = "secret-missing"
	CodeKeychain         = "keychain"
	CodeConfig           = "config"
	CodeSSOExpired       = "sso-expired"
	CodeUnknown          = "error"
	CodeServiceError     = "service-error"
	CodeBadEndpoint      = "bad-endpoint"
	CodeAssumeRoleDenied = "assume-role-denied"
)

// explanation is a failure put into words: a code, what it means and what to do.
type explanation struct {
	code, message string
}

// explain turns a connection error into words a user can act on. where names the
// endpoint or host being tried. The raw error stays available as the result's detail.
func explain(err error, where string, kind Kind) explanation {
	e := func(code, format string, args ...any) explanation {
		return explanation{code, fmt.Sprintf(format, args...)}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		// An AssumeRole failure is about the role, not the user's own keys.
		if isAssumeRole(err) && (code == "AccessDenied" || code == "AccessDeniedException") {
			return e(CodeAssumeRoleDenied, "The keys work, but they may not assume the role. Check the role ARN, the role's trust policy and the external ID.")
		}
		switch code {
		case "InvalidAccessKeyId", "InvalidClientTokenId", "XAdminUserNotFound", "UnrecognizedClientException":
			return e(CodeWrongAccessKey, "Wrong access key ID: %s does not know this key. Check the access key ID (and that the key is active and for this service).", where)
		case "SignatureDoesNotMatch", "IncompleteSignature":
			return e(CodeWrongSecret, "Wrong secret key: %s knows the access key ID but the secret does not match it. Enter the secret key again.", where)
		case "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired":
			return e(CodeExpiredToken, "The temporary credentials have expired. Get new keys and a new session token, and enter them again.")
		case "RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException":
			return e(CodeClockSkew, "This computer's clock is too far from the service's time (more than 15 minutes). Correct the date, time and time zone of this computer, then test again.")
		case "AccessDenied", "AllAccessDisabled", "AccessDeniedException", "Forbidden", "InvalidToken":
			return e(CodeAccessDenied, "The credentials are valid but have no permission for this check at %s. Ask for s3:ListAllMyBuckets, or enter a bucket to test that the keys can reach.", where)
		case "NoSuchBucket", "NotFound":
			return e(CodeNoSuchBucket, "The bucket to test does not exist at %s (or is in another account). Check its name.", where)
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "301", "MovedPermanently":
			return e(CodeWrongRegion, "The bucket or endpoint belongs to another region. Set the region where the bucket is.")
		}
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			switch re.HTTPStatusCode() {
			case http.StatusForbidden:
				return e(CodeAccessDenied, "%s refused the request (HTTP 403): the credentials are wrong or have no permission for this check.", where)
			case http.StatusNotFound:
				return e(CodeNoSuchBucket, "%s answered 404 Not Found: the bucket does not exist, or the endpoint URL is not an S3 API.", where)
			case http.StatusMovedPermanently:
				return e(CodeWrongRegion, "The bucket or endpoint belongs to another region. Set the region where the bucket is.")
			case http.StatusBadRequest:
				if strings.Contains(strings.ToLower(err.Error()), "http request to an https server") {
					return e(CodeHTTPToTLS, "%s expects HTTPS: change the endpoint to https://.", where)
				}
			}
		}
		return e(CodeServiceError, "%s answered with an error (%s): %s", where, code, ae.ErrorMessage())
	}

	// Registries (regclient) and raw HTTP.
	switch {
	case errors.Is(err, errs.ErrHTTPUnauthorized):
		return e(CodeUnauthorized, "%s refused the user name or password (HTTP 401). Check both; for a token, check that it has not expired.", where)
	case errors.Is(err, errs.ErrNotFound) && kind == KindRegistry:
		return e(CodeNotRegistry, "%s answered 404 at /v2/: this is not a container registry API (check the host and port).", where)
	}

	// TLS.
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recHeader tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownCA):
		fix := "add the certificate of the CA that signed it as the CA file"
		if kind != KindRegistry {
			fix = "install the CA certificate in this computer's trust store"
		}
		return e(CodeTLSUnknownCA, "%s presents a certificate from an authority this computer does not trust (self-signed or a private CA): %s.", where, fix)
	case errors.As(err, &hostErr):
		return e(CodeTLSHostname, "%s presents a certificate for another name (%s). Use the host name the certificate was issued for.", where, certNames(hostErr))
	case errors.As(err, &invalid):
		return e(CodeTLSExpired, "%s presents a certificate that is not valid (%s). Renew or fix the server's certificate.", where, invalidReason(invalid))
	case errors.As(err, &recHeader), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		if kind == KindRegistry {
			return e(CodeTLSNotTLS, "%s speaks plain HTTP, not HTTPS: tick \"Plain HTTP\" if you trust this network.", where)
		}
		return e(CodeTLSNotTLS, "%s speaks plain HTTP, not HTTPS: change the endpoint to http:// if you trust this network.", where)
	}

	// Network.
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && (dnsErr.IsNotFound || !dnsErr.IsTimeout):
		return e(CodeHostNotFound, "The host name %s was not found (DNS). Check the spelling of the endpoint or host, and this computer's network.", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return e(CodeUnreachable, "Nothing answers at %s (connection refused). Check the host and port, and that the service is running.", where)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return e(CodeUnreachable, "%s cannot be reached from this computer (no route). Check the network, VPN or proxy.", where)
	case errors.Is(err, syscall.ECONNRESET):
		return e(CodeUnreachable, "%s closed the connection. A proxy or firewall may be in the way, or the port is wrong.", where)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return e(CodeTimeout, "%s did not answer in time. Check the endpoint, the network, and any proxy or firewall.", where)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return e(CodeUnreachable, "%s cannot be reached: %v. Check the host, port and network.", where, opErr.Err)
	}
	return e(CodeUnknown, "The test failed at %s. The details below say why.", where)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isAssumeRole(err error) bool {
	var oe *smithy.OperationError
	return errors.As(err, &oe) && oe.Operation() == "AssumeRole"
}

func certNames(h x509.HostnameError) string {
	if h.Certificate == nil {
		return "another host"
	}
	names := append([]string{}, h.Certificate.DNSNames...)
	for _, ip := range h.Certificate.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return h.Certificate.Subject.CommonName
	}
	return strings.Join(names, ", ")
}

func invalidReason(e x509.CertificateInvalidError) string {
	switch e.Reason {
	case x509.Expired:
		return "expired or not yet valid; check also this computer's clock"
	default:
		return e.Error()
	}
}

// isSSOError: an AWS CLI profile whose SSO login is missing or expired.
func isSSOError(err error) bool {
	var it *ssocreds.InvalidTokenError
	return errors.As(err, &it) || strings.Contains(err.Error(), "sso") && strings.Contains(err.Error(), "token")
}
