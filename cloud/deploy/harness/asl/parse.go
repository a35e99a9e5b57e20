package asl

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Parsing: a definition into states, refusing what the interpreter does not know.

type states struct {
	startAt string
	byName  map[string]*state
}

type retrier struct {
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds *float64 `json:"IntervalSeconds"`
	MaxAttempts     *int     `json:"MaxAttempts"`
	BackoffRate     *float64 `json:"BackoffRate"`
	MaxDelaySeconds *float64 `json:"MaxDelaySeconds"`
	JitterStrategy  string   `json:"JitterStrategy"`
}

type catcher struct {
	ErrorEquals []string
	ResultPath  *string
	resultNull  bool
	Next        string
}

type state struct {
	name           string
	Type           string
	Next           string
	End            bool
	inputPath      *string // nil: $; "" with nullInput: null
	nullInput      bool
	outputPath     *string
	nullOutput     bool
	resultPath     *string
	nullResult     bool
	Parameters     any
	ResultSelector any
	Result         any
	hasResult      bool
	Resource       string
	TimeoutSeconds float64
	Retry          []retrier
	Catch          []catcher
	// Map
	ItemsPath      string
	MaxConcurrency int
	ItemSelector   any
	processor      *states
	// Choice
	Choices []map[string]any
	Default string
	// Fail
	Error, Cause string
	// Wait
	Seconds float64
}

// known fields per state type: anything else is refused, so a misspelt field fails
// the parse instead of being ignored.
var known = map[string][]string{
	"Task":    {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Resource", "TimeoutSeconds", "Retry", "Catch"},
	"Map":     {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath", "MaxConcurrency", "ItemSelector", "ItemProcessor", "Iterator", "Retry", "Catch"},
	"Pass":    {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters", "Result"},
	"Choice":  {"Type", "Comment", "InputPath", "OutputPath", "Choices", "Default"},
	"Wait":    {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "Seconds"},
	"Succeed": {"Type", "Comment", "InputPath", "OutputPath"},
	"Fail":    {"Type", "Comment", "Error", "Cause"},
}

// Parse reads a definition (the JSON of a state machine).
func Parse(def []byte) (*Machine, error) {
	var raw map[string]any
	if err := json.Unmarshal(def, &raw); err != nil {
		return nil, fmt.Errorf("state machine definition: %w", err)
	}
	if ql, _ := raw["QueryLanguage"].(string); ql != "" && ql != "JSONPath" {
		return nil, fmt.Errorf("state machine definition: query language %s is not supported", ql)
	}
	top, err := parseStates(raw, "")
	if err != nil {
		return nil, err
	}
	m := &Machine{top: top}
	if t, ok := raw["TimeoutSeconds"].(float64); ok {
		m.timeout = time.Duration(t * float64(time.Second))
	}
	return m, nil
}

func parseStates(raw map[string]any, where string) (*states, error) {
	s := &states{byName: map[string]*state{}}
	s.startAt, _ = raw["StartAt"].(string)
	sm, _ := raw["States"].(map[string]any)
	if s.startAt == "" || len(sm) == 0 {
		return nil, fmt.Errorf("state machine%s: StartAt and States are required", where)
	}
	for name, v := range sm {
		st, err := parseState(name, v, where)
		if err != nil {
			return nil, err
		}
		s.byName[name] = st
	}
	if s.byName[s.startAt] == nil {
		return nil, fmt.Errorf("state machine%s: StartAt %q is not a state", where, s.startAt)
	}
	for name, st := range s.byName {
		targets := []string{st.Next, st.Default}
		for _, c := range st.Catch {
			targets = append(targets, c.Next)
		}
		for _, c := range st.Choices {
			n, _ := c["Next"].(string)
			targets = append(targets, n)
		}
		for _, t := range targets {
			if t != "" && s.byName[t] == nil {
				return nil, fmt.Errorf("state %s%s: Next %q is not a state", name, where, t)
			}
		}
		terminal := st.Type == "Choice" || st.Type == "Succeed" || st.Type == "Fail"
		if !terminal && st.Next == "" && !st.End {
			return nil, fmt.Errorf("state %s%s: neither Next nor End", name, where)
		}
	}
	return s, nil
}

func parseState(name string, v any, where string) (*state, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("state %s%s is not an object", name, where)
	}
	st := &state{name: name}
	st.Type, _ = m["Type"].(string)
	fields, ok := known[st.Type]
	if !ok {
		return nil, fmt.Errorf("state %s%s: type %q is not supported", name, where, st.Type)
	}
	for k := range m {
		if !contains(fields, k) {
			return nil, fmt.Errorf("state %s%s (%s): field %q is not supported", name, where, st.Type, k)
		}
	}
	st.Next, _ = m["Next"].(string)
	st.End, _ = m["End"].(bool)
	st.inputPath, st.nullInput = pathField(m, "InputPath")
	st.outputPath, st.nullOutput = pathField(m, "OutputPath")
	st.resultPath, st.nullResult = pathField(m, "ResultPath")
	st.Parameters = m["Parameters"]
	st.ResultSelector = m["ResultSelector"]
	st.Result, st.hasResult = m["Result"]
	st.Resource, _ = m["Resource"].(string)
	st.TimeoutSeconds, _ = m["TimeoutSeconds"].(float64)
	st.ItemsPath, _ = m["ItemsPath"].(string)
	if mc, ok := m["MaxConcurrency"].(float64); ok {
		st.MaxConcurrency = int(mc)
	}
	st.ItemSelector = m["ItemSelector"]
	if st.ItemSelector == nil && st.Type == "Map" {
		st.ItemSelector, st.Parameters = st.Parameters, nil // Parameters is Map's older name for it
	}
	st.Default, _ = m["Default"].(string)
	st.Error, _ = m["Error"].(string)
	st.Cause, _ = m["Cause"].(string)
	st.Seconds, _ = m["Seconds"].(float64)
	if cs, ok := m["Choices"].([]any); ok {
		for _, c := range cs {
			cm, ok := c.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("state %s%s: a choice is not an object", name, where)
			}
			st.Choices = append(st.Choices, cm)
		}
	}
	if r, ok := m["Retry"]; ok {
		if err := remarshal(r, &st.Retry); err != nil {
			return nil, fmt.Errorf("state %s%s: Retry: %w", name, where, err)
		}
	}
	if cs, ok := m["Catch"].([]any); ok {
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			var ct catcher
			ct.Next, _ = cm["Next"].(string)
			for _, e := range asList(cm["ErrorEquals"]) {
				s, _ := e.(string)
				ct.ErrorEquals = append(ct.ErrorEquals, s)
			}
			if len(ct.ErrorEquals) == 0 || ct.Next == "" {
				return nil, fmt.Errorf("state %s%s: a catcher needs ErrorEquals and Next", name, where)
			}
			ct.ResultPath, ct.resultNull = pathField(cm, "ResultPath")
			for k := range cm {
				if !contains([]string{"ErrorEquals", "ResultPath", "Next", "Comment"}, k) {
					return nil, fmt.Errorf("state %s%s: Catch field %q is not supported", name, where, k)
				}
			}
			st.Catch = append(st.Catch, ct)
		}
	}
	if st.Type == "Map" {
		proc, _ := m["ItemProcessor"].(map[string]any)
		if proc == nil {
			proc, _ = m["Iterator"].(map[string]any)
		}
		if proc == nil {
			return nil, fmt.Errorf("state %s%s: a Map needs an ItemProcessor", name, where)
		}
		if pc, ok := proc["ProcessorConfig"].(map[string]any); ok {
			if mode, _ := pc["Mode"].(string); mode != "" && mode != "INLINE" {
				return nil, fmt.Errorf("state %s%s: Map mode %s is not supported (INLINE only)", name, where, mode)
			}
		}
		sub, err := parseStates(proc, " (in "+name+")")
		if err != nil {
			return nil, err
		}
		st.processor = sub
	}
	if st.Type == "Task" && st.Resource == "" {
		return nil, fmt.Errorf("state %s%s: a Task needs a Resource", name, where)
	}
	return st, nil
}

// pathField reads a path field: absent (nil, false), null (nil, true) or a path.
func pathField(m map[string]any, k string) (*string, bool) {
	v, ok := m[k]
	if !ok {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	s, _ := v.(string)
	return &s, false
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
