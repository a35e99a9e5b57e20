package harness

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// CloudWatch metric math, the part the stacks' alarms use, on single values (the
// harness evaluates one period at a time): numbers, metric ids, + - * /, comparisons
// (1 or 0), AND, OR, NOT, IF(c, a[, b]), FILL(x, v), MIN, MAX, ABS. A missing metric is
// NaN, which FILL replaces.

type mathExpr interface {
	eval(vars map[string]float64) (float64, error)
}

type num float64

func (n num) eval(map[string]float64) (float64, error) { return float64(n), nil }

type ident string

func (i ident) eval(vars map[string]float64) (float64, error) {
	v, ok := vars[string(i)]
	if !ok {
		return 0, fmt.Errorf("metric %q is not defined", string(i))
	}
	return v, nil
}

type unary struct {
	op string
	x  mathExpr
}

func (u unary) eval(vars map[string]float64) (float64, error) {
	v, err := u.x.eval(vars)
	if err != nil {
		return 0, err
	}
	if u.op == "-" {
		return -v, nil
	}
	return b2f(v == 0), nil // NOT
}

type binary struct {
	op   string
	l, r mathExpr
}

func (b binary) eval(vars map[string]float64) (float64, error) {
	l, err := b.l.eval(vars)
	if err != nil {
		return 0, err
	}
	r, err := b.r.eval(vars)
	if err != nil {
		return 0, err
	}
	switch b.op {
	case "+":
		return l + r, nil
	case "-":
		return l - r, nil
	case "*":
		return l * r, nil
	case "/":
		return l / r, nil
	case ">":
		return b2f(l > r), nil
	case "<":
		return b2f(l < r), nil
	case ">=":
		return b2f(l >= r), nil
	case "<=":
		return b2f(l <= r), nil
	case "==":
		return b2f(l == r), nil
	case "!=":
		return b2f(l != r), nil
	case "AND":
		return b2f(l != 0 && r != 0), nil
	case "OR":
		return b2f(l != 0 || r != 0), nil
	}
	return 0, fmt.Errorf("operator %s", b.op)
}

type call struct {
	fn   string
	args []mathExpr
}

func (c call) eval(vars map[string]float64) (float64, error) {
	vals := make([]float64, len(c.args))
	for i, a := range c.args {
		v, err := a.eval(vars)
		if err != nil {
			return 0, err
		}
		vals[i] = v
	}
	switch c.fn {
	case "IF":
		if len(vals) < 2 || len(vals) > 3 {
			return 0, fmt.Errorf("IF takes 2 or 3 arguments")
		}
		if vals[0] != 0 && !math.IsNaN(vals[0]) {
			return vals[1], nil
		}
		if len(vals) == 3 {
			return vals[2], nil
		}
		return math.NaN(), nil
	case "FILL":
		if len(vals) != 2 {
			return 0, fmt.Errorf("FILL takes 2 arguments")
		}
		if math.IsNaN(vals[0]) {
			return vals[1], nil
		}
		return vals[0], nil
	case "ABS":
		if len(vals) != 1 {
			return 0, fmt.Errorf("ABS takes 1 argument")
		}
		return math.Abs(vals[0]), nil
	case "MIN", "MAX":
		if len(vals) == 0 {
			return 0, fmt.Errorf("%s takes at least 1 argument", c.fn)
		}
		out := vals[0]
		for _, v := range vals[1:] {
			if (c.fn == "MIN") == (v < out) {
				out = v
			}
		}
		return out, nil
	}
	return 0, fmt.Errorf("function %s is not supported", c.fn)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// parseMath parses a metric math expression.
func parseMath(s string) (mathExpr, error) {
	toks, err := mathTokens(s)
	if err != nil {
		return nil, fmt.Errorf("metric math %q: %w", s, err)
	}
	p := &mathParser{toks: toks}
	e, err := p.or()
	if err == nil && p.i != len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.i])
	}
	if err != nil {
		return nil, fmt.Errorf("metric math %q: %w", s, err)
	}
	return e, nil
}

func mathTokens(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case unicode.IsDigit(c) || c == '.':
			j := i
			for j < len(s) && (unicode.IsDigit(rune(s[j])) || s[j] == '.') {
				j++
			}
			out = append(out, s[i:j])
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_') {
				j++
			}
			out = append(out, s[i:j])
			i = j
		case strings.ContainsRune("<>=!", c) && i+1 < len(s) && s[i+1] == '=':
			out = append(out, s[i:i+2])
			i += 2
		case strings.ContainsRune("+-*/()<>,", c):
			out = append(out, string(c))
			i++
		default:
			return nil, fmt.Errorf("unexpected %q", c)
		}
	}
	return out, nil
}

type mathParser struct {
	toks []string
	i    int
}

func (p *mathParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *mathParser) or() (mathExpr, error) {
	l, err := p.and()
	for err == nil && strings.EqualFold(p.peek(), "OR") {
		p.i++
		var r mathExpr
		r, err = p.and()
		l = binary{"OR", l, r}
	}
	return l, err
}

func (p *mathParser) and() (mathExpr, error) {
	l, err := p.cmp()
	for err == nil && strings.EqualFold(p.peek(), "AND") {
		p.i++
		var r mathExpr
		r, err = p.cmp()
		l = binary{"AND", l, r}
	}
	return l, err
}

func (p *mathParser) cmp() (mathExpr, error) {
	l, err := p.add()
	if err != nil {
		return nil, err
	}
	switch op := p.peek(); op {
	case ">", "<", ">=", "<=", "==", "!=":
		p.i++
		r, err := p.add()
		return binary{op, l, r}, err
	}
	return l, nil
}

func (p *mathParser) add() (mathExpr, error) {
	l, err := p.mul()
	for err == nil && (p.peek() == "+" || p.peek() == "-") {
		op := p.toks[p.i]
		p.i++
		var r mathExpr
		r, err = p.mul()
		l = binary{op, l, r}
	}
	return l, err
}

func (p *mathParser) mul() (mathExpr, error) {
	l, err := p.unary()
	for err == nil && (p.peek() == "*" || p.peek() == "/") {
		op := p.toks[p.i]
		p.i++
		var r mathExpr
		r, err = p.unary()
		l = binary{op, l, r}
	}
	return l, err
}

func (p *mathParser) unary() (mathExpr, error) {
	switch {
	case p.peek() == "-":
		p.i++
		x, err := p.unary()
		return unary{"-", x}, err
	case strings.EqualFold(p.peek(), "NOT"):
		p.i++
		x, err := p.unary()
		return unary{"NOT", x}, err
	}
	return p.primary()
}

func (p *mathParser) primary() (mathExpr, error) {
	t := p.peek()
	if t == "" {
		return nil, fmt.Errorf("unexpected end")
	}
	p.i++
	switch {
	case t == "(":
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		p.i++
		return e, nil
	case unicode.IsDigit(rune(t[0])) || t[0] == '.':
		f, err := strconv.ParseFloat(t, 64)
		return num(f), err
	case p.peek() == "(":
		p.i++
		c := call{fn: strings.ToUpper(t)}
		for p.peek() != ")" {
			a, err := p.or()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			if p.peek() == "," {
				p.i++
			} else if p.peek() != ")" {
				return nil, fmt.Errorf("expected , or ) in %s(...)", t)
			}
		}
		p.i++
		return c, nil
	}
	return ident(t), nil
}
