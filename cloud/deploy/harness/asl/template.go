package asl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Payload templates (Parameters, ResultSelector, ItemSelector): a field whose name ends
// in ".$" takes the value of a path or of an intrinsic function call.

func applyTemplate(tpl, data, ctx any) (any, error) {
	switch t := tpl.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			name, dynamic := strings.CutSuffix(k, ".$")
			if !dynamic {
				x, err := applyTemplate(v, data, ctx)
				if err != nil {
					return nil, err
				}
				out[k] = x
				continue
			}
			expr, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("field %q: a path or an intrinsic function, not %T", k, v)
			}
			x, err := evalExpr(expr, data, ctx)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", k, err)
			}
			out[name] = x
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			x, err := applyTemplate(v, data, ctx)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	return tpl, nil
}

// evalExpr is a path ($..., $$...) or an intrinsic function (States.X(...)).
func evalExpr(expr string, data, ctx any) (any, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "States.") {
		p := &intrinsicParser{s: expr}
		v, err := p.call(data, ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", expr, err)
		}
		if p.skipSpace(); p.i != len(p.s) {
			return nil, fmt.Errorf("%s: unexpected %q", expr, p.s[p.i:])
		}
		return v, nil
	}
	p, err := parsePath(expr)
	if err != nil {
		return nil, err
	}
	v, ok := p.get(data, ctx)
	if !ok {
		return nil, &Error{Name: "States.Runtime", Cause: fmt.Sprintf("the path %q matched nothing in the input", expr)}
	}
	return v, nil
}

type intrinsicParser struct {
	s string
	i int
}

func (p *intrinsicParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *intrinsicParser) call(data, ctx any) (any, error) {
	p.skipSpace()
	open := strings.IndexByte(p.s[p.i:], '(')
	if open < 0 {
		return nil, fmt.Errorf("no argument list")
	}
	name := p.s[p.i : p.i+open]
	p.i += open + 1
	var args []any
	for {
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			break
		}
		a, err := p.arg(data, ctx)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			break
		}
		return nil, fmt.Errorf("expected , or ) at %q", p.s[p.i:])
	}
	return intrinsic(name, args)
}

func (p *intrinsicParser) arg(data, ctx any) (any, error) {
	rest := p.s[p.i:]
	switch {
	case strings.HasPrefix(rest, "States."):
		return p.call(data, ctx)
	case strings.HasPrefix(rest, "'"):
		var b strings.Builder
		for j := 1; j < len(rest); j++ {
			switch rest[j] {
			case '\\':
				if j+1 < len(rest) {
					b.WriteByte(rest[j+1])
					j++
				}
			case '\'':
				p.i += j + 1
				return b.String(), nil
			default:
				b.WriteByte(rest[j])
			}
		}
		return nil, fmt.Errorf("unclosed string")
	case strings.HasPrefix(rest, "$"):
		end := strings.IndexAny(rest, ",)")
		if end < 0 {
			end = len(rest)
		}
		expr := strings.TrimSpace(rest[:end])
		p.i += end
		return evalExpr(expr, data, ctx)
	}
	end := strings.IndexAny(rest, ",)")
	if end < 0 {
		end = len(rest)
	}
	lit := strings.TrimSpace(rest[:end])
	p.i += end
	switch lit {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return nil, fmt.Errorf("argument %q is not a path, string, number or function", lit)
	}
	return f, nil
}

// intrinsic runs one of the intrinsic functions.
func intrinsic(name string, args []any) (any, error) {
	need := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d arguments, got %d", name, n, len(args))
		}
		return nil
	}
	switch name {
	case "States.JsonToString":
		if err := need(1); err != nil {
			return nil, err
		}
		b, err := json.Marshal(args[0])
		return string(b), err
	case "States.StringToJson":
		if err := need(1); err != nil {
			return nil, err
		}
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("%s needs a string", name)
		}
		var v any
		err := json.Unmarshal([]byte(s), &v)
		return v, err
	case "States.Array":
		return append([]any{}, args...), nil
	case "States.ArrayLength":
		if err := need(1); err != nil {
			return nil, err
		}
		a, ok := args[0].([]any)
		if !ok {
			return nil, fmt.Errorf("%s needs an array", name)
		}
		return float64(len(a)), nil
	case "States.ArrayContains":
		if err := need(2); err != nil {
			return nil, err
		}
		a, ok := args[0].([]any)
		if !ok {
			return nil, fmt.Errorf("%s needs an array first", name)
		}
		want, _ := json.Marshal(args[1])
		for _, x := range a {
			if b, _ := json.Marshal(x); string(b) == string(want) {
				return true, nil
			}
		}
		return false, nil
	case "States.Format":
		if len(args) == 0 {
			return nil, fmt.Errorf("%s needs a format string", name)
		}
		f, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("%s needs a format string first", name)
		}
		var b strings.Builder
		n := 1
		for {
			i := strings.Index(f, "{}")
			if i < 0 {
				b.WriteString(f)
				break
			}
			if n >= len(args) {
				return nil, fmt.Errorf("%s: more {} than arguments", name)
			}
			b.WriteString(f[:i])
			switch v := args[n].(type) {
			case string:
				b.WriteString(v)
			default:
				j, _ := json.Marshal(v)
				b.Write(j)
			}
			n++
			f = f[i+2:]
		}
		return b.String(), nil
	}
	return nil, fmt.Errorf("intrinsic function %s is not supported by this interpreter", name)
}
