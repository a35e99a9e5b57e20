package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"transferhub/cloud/invalid"
)

// usageError is a bad invocation: exit status 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// badInput renders a validation error for the terminal: one line per problem,
// "invalid --flag: what to fix". Other errors are returned as they are.
func badInput(err error) error {
	var e *invalid.Error
	if !errors.As(err, &e) {
		return err
	}
	lines := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		lines[i] = "invalid " + f.Field + ": " + f.Message
	}
	return usageError{errors.New(strings.Join(lines, "\nthub: "))}
}

// flagError words a flag value that does not parse (pflag would pass on the parser's
// own text, e.g. `strconv.ParseFloat: parsing "": invalid syntax`).
func flagError(_ *cobra.Command, err error) error {
	var ive *pflag.InvalidValueError
	if !errors.As(err, &ive) {
		return usageError{err}
	}
	f := ive.GetFlag()
	what := map[string]string{
		"int":      "is not a whole number",
		"float64":  "is not a number; write e.g. 10 or 2.5",
		"duration": "is not a duration; write e.g. 30s, 5m or 1h",
		"bool":     "is not true or false",
	}[f.Value.Type()]
	if what == "" { // a value of cloud/spec: its message quotes the value
		return usageError{fmt.Errorf("invalid --%s: %v", f.Name, ive.Unwrap())}
	}
	return usageError{fmt.Errorf("invalid --%s: %q %s", f.Name, ive.GetValue(), what)}
}
