package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Paths are the JSONPath subset Amazon States Language uses in InputPath, OutputPath,
// ResultPath, ItemsPath, Variable and "key.$" fields: $ (the state's data) or $$ (the
// context object), then .name, ['name'] and [index] steps.

type step struct {
	name  string
	index int
	isIdx bool
}

type path struct {
	context bool // $$
	steps   []step
}

func parsePath(s string) (path, error) {
	var p path
	rest, ok := strings.CutPrefix(s, "$$")
	if ok {
		p.context = true
	} else if rest, ok = strings.CutPrefix(s, "$"); !ok {
		return p, fmt.Errorf("path %q does not start with $", s)
	}
	for rest != "" {
		switch {
		case rest[0] == '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return p, fmt.Errorf("path %q: empty name", s)
			}
			p.steps = append(p.steps, step{name: rest[:end]})
			rest = rest[end:]
		case strings.HasPrefix(rest, "['"):
			end := strings.Index(rest, "']")
			if end < 0 {
				return p, fmt.Errorf("path %q: unclosed ['", s)
			}
			p.steps = append(p.steps, step{name: rest[2:end]})
			rest = rest[end+2:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return p, fmt.Errorf("path %q: unclosed [", s)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil {
				return p, fmt.Errorf("path %q: index %q is not a number (filters and wildcards are not supported)", s, rest[1:end])
			}
			p.steps = append(p.steps, step{index: n, isIdx: true})
			rest = rest[end+1:]
		default:
			return p, fmt.Errorf("path %q: unexpected %q", s, rest)
		}
	}
	return p, nil
}

// get reads a path; found is false when a step is missing.
func (p path) get(data, ctx any) (any, bool) {
	v := data
	if p.context {
		v = ctx
	}
	for _, s := range p.steps {
		if s.isIdx {
			a, ok := v.([]any)
			if !ok || s.index < 0 || s.index >= len(a) {
				return nil, false
			}
			v = a[s.index]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[s.name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// set writes value at a reference path (ResultPath) into a copy of data.
func (p path) set(data, value any) (any, error) {
	if p.context {
		return nil, fmt.Errorf("ResultPath cannot write the context object")
	}
	if len(p.steps) == 0 {
		return value, nil
	}
	root, ok := clone(data).(map[string]any)
	if !ok {
		if data != nil {
			return nil, fmt.Errorf("ResultPath needs an object as the state's input, not %T", data)
		}
		root = map[string]any{}
	}
	cur := root
	for i, s := range p.steps {
		if s.isIdx {
			return nil, fmt.Errorf("ResultPath cannot index arrays")
		}
		if i == len(p.steps)-1 {
			cur[s.name] = value
			break
		}
		next, ok := cur[s.name].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[s.name] = next
		}
		cur = next
	}
	return root, nil
}

// clone copies JSON data (maps and slices deeply).
func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = clone(x)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = clone(x)
		}
		return a
	}
	return v
}

// Normalize turns any JSON-encodable value into plain JSON data (maps, slices,
// float64, string, bool, nil).
func Normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
