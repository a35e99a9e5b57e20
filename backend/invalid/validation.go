// Package invalid is the error a form gets back: every invalid field at once, each
// with a message a user can act on, so the form can mark them all.
package invalid

import "strings"

// FieldError is one invalid field. Field names it as the form knows it (a JSON name or a
// dotted path such as "s3.source.bucket").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error lists the invalid fields of one form. Its messages never quote a secret.
type Error struct {
	// What names the form in the error text ("credentials profile", "task", "settings").
	What   string
	Fields []FieldError
	// Kind is the sentinel errors.Is matches (each package's ErrInvalid).
	Kind error
}

// New returns the error for fields, or nil when there are none.
func New(what string, kind error, fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{What: what, Fields: fields, Kind: kind}
}

func (e *Error) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Field + ": " + f.Message
	}
	return "invalid " + e.What + ": " + strings.Join(msgs, "; ")
}

// Is makes errors.Is(err, kind) true.
func (e *Error) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Field is the message for one field ("" when that field is fine).
func (e *Error) Field(name string) string {
	for _, f := range e.Fields {
		if f.Field == name {
			return f.Message
		}
	}
	return ""
}
