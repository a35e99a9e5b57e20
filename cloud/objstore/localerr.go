package objstore

import (
	"errors"
	"io/fs"
	"syscall"
)

// localError is a file system error with its class (one of the sentinels in
// objstore.go), always permanent: the message is the operating system's, errors.Is
// answers the class and ErrPermanent.
type localError struct {
	err  error
	kind error
}

func (e localError) Error() string        { return e.err.Error() }
func (e localError) Unwrap() error        { return e.err }
func (e localError) Is(target error) bool { return target == e.kind || target == ErrPermanent }

// classify gives a file system error the class the engine acts on; errors no retry
// fixes for one key (a name too long, a file where a directory must be) are
// ErrInvalidKey. Others are returned as they are.
func classify(err error) error {
	var kind error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EROFS):
		kind = ErrReadOnly
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		kind = ErrNoSpace
	case errors.Is(err, fs.ErrPermission):
		kind = ErrAccessDenied
	case errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EISDIR):
		kind = ErrInvalidKey
	default:
		return err
	}
	return localError{err: err, kind: kind}
}
