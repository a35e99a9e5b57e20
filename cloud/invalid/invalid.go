// Package invalid is the one error a form or a command line gets back when its input
// is wrong: every invalid field at once, each with a message that says what to fix, so
// a form can mark them all and a CLI can print them all. The task spec, credential
// profiles and settings all report through it (cloud/docs/architecture.md).
package invalid

import (
	"errors"
	"strings"
)

// ErrInvalid matches every *Error (errors.Is).
var ErrInvalid = errors.New("invalid input")

// FieldError is one invalid field. Field names it as the caller knows it: a JSON path
// into the form ("s3.source.bucket", "name") or a flag ("--src-region").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error lists the invalid fields of one input. Messages never quote a secret.
type Error struct {
	// What names the input in the error text ("task", "credentials profile", "settings").
	What   string
	Fields []FieldError
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Field + ": " + f.Message
	}
	return "invalid " + e.What + ": " + strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Field is the message for one field ("" when that field is fine).
func (e *Error) Field(name string) string {
	for _, f := range e.Fields {
		if f.Field == name {
			return f.Message
		}
	}
	return ""
}

// List collects field errors in the order they are found.
type List struct {
	fields []FieldError
}

// Add records a problem with field.
func (l *List) Add(field, msg string) {
	l.fields = append(l.fields, FieldError{Field: field, Message: msg})
}

// Has reports whether field already has a problem (a later check of the same field can
// then stay quiet instead of piling up messages).
func (l *List) Has(field string) bool {
	for _, f := range l.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Merge adds the fields of err when it is an *Error, each under prefix+field; any other
// non-nil error is returned as it is.
func (l *List) Merge(prefix string, err error) error {
	var e *Error
	if err == nil {
		return nil
	}
	if !errors.As(err, &e) {
		return err
	}
	for _, f := range e.Fields {
		l.Add(prefix+f.Field, f.Message)
	}
	return nil
}

// Fields returns what was collected.
func (l *List) Fields() []FieldError { return l.fields }

// Err returns an *Error naming what, or nil when nothing was added.
func (l *List) Err(what string) error {
	if len(l.fields) == 0 {
		return nil
	}
	return &Error{What: what, Fields: append([]FieldError(nil), l.fields...)}
}

// Fields returns the field errors of err ([] when err is nil) or, when err is not an
// *Error, err itself, so that a service can hand the fields to a form and anything else
// to its caller.
func Fields(err error) ([]FieldError, error) {
	if err == nil {
		return []FieldError{}, nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Fields, nil
	}
	return nil, err
}
