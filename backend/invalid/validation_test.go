package invalid

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestError(t *testing.T) {
	errKind := errors.New("invalid thing")
	assert.NoError(t, New("thing", errKind, nil))
	err := New("thing", errKind, []FieldError{{"name", "is required"}, {"size", "must be positive"}})
	assert.EqualError(t, err, "invalid thing: name: is required; size: must be positive")
	assert.ErrorIs(t, err, errKind)
	assert.NotErrorIs(t, err, errors.New("invalid thing"))
	var ve *Error
	assert.ErrorAs(t, err, &ve)
	assert.Equal(t, "must be positive", ve.Field("size"))
	assert.Equal(t, "", ve.Field("other"))
}
