package objstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// File system errors get the class the engine acts on; the message stays the system's.
func TestClassifyLocalErrors(t *testing.T) {
	for errno, kind := range map[syscall.Errno]error{
		syscall.EROFS: ErrReadOnly, syscall.ENOSPC: ErrNoSpace, syscall.EDQUOT: ErrNoSpace, syscall.EACCES: ErrAccessDenied,
		syscall.EPERM: ErrAccessDenied, syscall.ENAMETOOLONG: ErrInvalidKey, syscall.ENOTDIR: ErrInvalidKey,
	} {
		err := fmt.Errorf("write x: %w", classify(&os.PathError{Op: "open", Path: "/d/x", Err: errno}))
		require.ErrorIs(t, err, kind, "%v", errno)
		require.ErrorIs(t, err, ErrPermanent, "%v", errno)
		require.ErrorIs(t, err, errno)
		require.Equal(t, "write x: open /d/x: "+errno.Error(), err.Error())
	}
	other := &os.PathError{Op: "open", Path: "/d/x", Err: syscall.EIO}
	require.Equal(t, error(other), classify(other), "an I/O error may pass: retried")
	require.False(t, errors.Is(classify(fs.ErrClosed), ErrAccessDenied))
	require.NoError(t, classify(nil))
}

// Service answers no retry changes are classed; throttling, timeouts and digests that
// did not match the bytes sent are not.
func TestClassifyAPIErrors(t *testing.T) {
	require.Equal(t, ErrAccessDenied, apiErrorKind("AccessDenied", nil))
	require.Equal(t, ErrNoBucket, apiErrorKind("NoSuchBucket", nil))
	require.Equal(t, ErrRejected, apiErrorKind("InvalidArgument", nil))
	require.Equal(t, ErrRejected, apiErrorKind("NotImplemented", nil))
	denied := conciseAPIError{kind: apiErrorKind("AccessDenied", nil)}
	require.ErrorIs(t, denied, ErrAccessDenied)
	require.NotErrorIs(t, denied, ErrPermanent, "renewed credentials may lift it")
	require.ErrorIs(t, conciseAPIError{kind: ErrRejected}, ErrPermanent)
	require.NotErrorIs(t, conciseAPIError{}, ErrPermanent)
	for _, code := range []string{"SlowDown", "RequestTimeout", "BadDigest", "IncompleteBody", "InternalError", "ExpiredToken", "InvalidPart"} {
		require.Nil(t, apiErrorKind(code, nil), code)
	}
}
