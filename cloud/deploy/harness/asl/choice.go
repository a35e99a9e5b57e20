package asl

import (
	"fmt"
	"sort"
	"strings"
)

// Choice rules: the comparison operators and their combinations.

// rule evaluates one Choice rule.
func (r *run) rule(c map[string]any, in any) (bool, error) {
	if and, ok := c["And"].([]any); ok {
		for _, x := range and {
			xm, _ := x.(map[string]any)
			ok, err := r.rule(xm, in)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
	if or, ok := c["Or"].([]any); ok {
		for _, x := range or {
			xm, _ := x.(map[string]any)
			ok, err := r.rule(xm, in)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	if not, ok := c["Not"].(map[string]any); ok {
		ok, err := r.rule(not, in)
		return !ok, err
	}
	variable, _ := c["Variable"].(string)
	p, err := parsePath(variable)
	if err != nil {
		return false, err
	}
	v, present := p.get(in, r.ctx)
	ops := make([]string, 0, 1)
	for k := range c {
		if k != "Variable" && k != "Next" && k != "Comment" {
			ops = append(ops, k)
		}
	}
	sort.Strings(ops)
	if len(ops) != 1 {
		return false, fmt.Errorf("a choice rule needs exactly one comparison, has %v", ops)
	}
	op, want := ops[0], c[ops[0]]
	if strings.HasSuffix(op, "Path") && op != "IsPresent" {
		wp, err := parsePath(fmt.Sprint(want))
		if err != nil {
			return false, err
		}
		if want, _ = wp.get(in, r.ctx); true {
			op = strings.TrimSuffix(op, "Path")
		}
	}
	switch op {
	case "IsPresent":
		return present == want.(bool), nil
	case "IsNull":
		return (present && v == nil) == want.(bool), nil
	}
	if !present {
		return false, fmt.Errorf("choice variable %s matched nothing", variable)
	}
	switch op {
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == want.(bool), nil
	case "IsString":
		_, ok := v.(string)
		return ok == want.(bool), nil
	case "IsNumeric":
		_, ok := v.(float64)
		return ok == want.(bool), nil
	case "BooleanEquals":
		b, ok := v.(bool)
		return ok && b == want, nil
	case "StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals", "StringGreaterThanEquals":
		s, ok := v.(string)
		w, _ := want.(string)
		if !ok {
			return false, nil
		}
		return compare(strings.Compare(s, w), strings.TrimPrefix(op, "String")), nil
	case "StringMatches":
		s, ok := v.(string)
		return ok && globMatch(fmt.Sprint(want), s), nil
	case "NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals", "NumericGreaterThanEquals":
		f, ok := v.(float64)
		w, _ := want.(float64)
		if !ok {
			return false, nil
		}
		c := 0
		if f < w {
			c = -1
		} else if f > w {
			c = 1
		}
		return compare(c, strings.TrimPrefix(op, "Numeric")), nil
	}
	return false, fmt.Errorf("choice comparison %s is not supported", op)
}

func compare(c int, op string) bool {
	switch op {
	case "Equals":
		return c == 0
	case "LessThan":
		return c < 0
	case "GreaterThan":
		return c > 0
	case "LessThanEquals":
		return c <= 0
	case "GreaterThanEquals":
		return c >= 0
	}
	return false
}

// globMatch: * matches any run of characters.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
