package invalid

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestList(t *testing.T) {
	var l List
	require.NoError(t, l.Err("thing"))
	l.Add("name", "is required")
	l.Add("size", "must be positive")
	assert.True(t, l.Has("size"))
	assert.False(t, l.Has("other"))
	err := l.Err("thing")
	assert.EqualError(t, err, "invalid thing: name: is required; size: must be positive")
	assert.ErrorIs(t, err, ErrInvalid)
	var e *Error
	require.ErrorAs(t, fmt.Errorf("wrapped: %w", err), &e)
	assert.Equal(t, "must be positive", e.Field("size"))
	assert.Equal(t, "", e.Field("other"))
}

func TestMergeAndFields(t *testing.T) {
	var inner List
	inner.Add("bucket", "is required")
	var outer List
	require.NoError(t, outer.Merge("s3.source.", inner.Err("side")))
	other := errors.New("disk full")
	assert.Equal(t, other, outer.Merge("x.", other))
	assert.NoError(t, outer.Merge("x.", nil))
	fields, err := Fields(outer.Err("task"))
	require.NoError(t, err)
	assert.Equal(t, []FieldError{{"s3.source.bucket", "is required"}}, fields)

	fields, err = Fields(nil)
	require.NoError(t, err)
	assert.NotNil(t, fields)
	assert.Empty(t, fields)
	_, err = Fields(other)
	assert.Equal(t, other, err)
}
