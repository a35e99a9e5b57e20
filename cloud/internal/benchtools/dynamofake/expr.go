package dynamofake

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"unicode"
)

// The expression language, as far as DynamoDB's documentation describes it for
// conditions, key conditions, filters, projections and updates (top-level attributes
// only: the store never uses document paths).

type token struct {
	kind string // "name" (identifier or #alias), "value" (:v), "op", "kw", "eof"
	text string
}

var keywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "BETWEEN": true, "IN": true,
	"SET": true, "ADD": true, "REMOVE": true, "DELETE": true}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.ContainsRune("(),+-=", rune(c)):
			out = append(out, token{"op", string(c)})
			i++
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(s) && (s[i+1] == '=' || c == '<' && s[i+1] == '>') {
				op += string(s[i+1])
			}
			out = append(out, token{"op", op})
			i += len(op)
		case c == '#' || c == ':' || c == '_' || unicode.IsLetter(rune(c)):
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '.' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			w := s[i:j]
			switch {
			case c == ':':
				out = append(out, token{"value", w})
			case c != '#' && keywords[strings.ToUpper(w)]:
				out = append(out, token{"kw", strings.ToUpper(w)})
			default:
				out = append(out, token{"name", w})
			}
			i = j
		default:
			return nil, fmt.Errorf("syntax error; token: %q", string(c))
		}
	}
	return append(out, token{kind: "eof"}), nil
}

// parser reads one expression, resolving #aliases and :values and noting which were used.
type parser struct {
	toks   []token
	pos    int
	names  map[string]string
	values map[string]AV
	used   map[string]bool
}

func newParser(src string, names map[string]string, values map[string]AV, used map[string]bool) (*parser, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	return &parser{toks: toks, names: names, values: values, used: used}, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) is(kind, text string) bool {
	t := p.peek()
	return t.kind == kind && t.text == text
}

func (p *parser) expect(kind, text string) error {
	if !p.is(kind, text) {
		return fmt.Errorf("syntax error; expected %q, got %q", text, p.peek().text)
	}
	p.pos++
	return nil
}

// operand is a value in an expression: an attribute, a :value, or a function of them.
type operand struct {
	path  string // attribute name
	value *AV    // :value
	fn    string // if_not_exists, size, + or -
	args  []operand
}

func (p *parser) name(t token) (string, error) {
	if strings.HasPrefix(t.text, "#") {
		n, ok := p.names[t.text]
		if !ok {
			return "", fmt.Errorf("an expression attribute name used in the document path is not defined; attribute name: %s", t.text)
		}
		p.used[t.text] = true
		return n, nil
	}
	return t.text, nil
}

func (p *parser) operand() (operand, error) {
	t := p.next()
	switch t.kind {
	case "value":
		v, ok := p.values[t.text]
		if !ok {
			return operand{}, fmt.Errorf("an expression attribute value used in expression is not defined; attribute value: %s", t.text)
		}
		p.used[t.text] = true
		return operand{value: &v}, nil
	case "name":
		if p.is("op", "(") {
			fn := t.text
			p.pos++
			var args []operand
			for {
				a, err := p.operand()
				if err != nil {
					return operand{}, err
				}
				args = append(args, a)
				if p.is("op", ",") {
					p.pos++
					continue
				}
				break
			}
			if err := p.expect("op", ")"); err != nil {
				return operand{}, err
			}
			return operand{fn: fn, args: args}, nil
		}
		n, err := p.name(t)
		return operand{path: n}, err
	}
	return operand{}, fmt.Errorf("syntax error; token: %q", t.text)
}

// cond is a condition: and/or/not over comparisons and functions.
type cond struct {
	op   string // or, and, not, = <> < <= > >=, between, in, fn
	subs []*cond
	args []operand
	fn   string
}

func (p *parser) condition() (*cond, error) {
	left, err := p.conj()
	if err != nil {
		return nil, err
	}
	for p.is("kw", "OR") {
		p.pos++
		right, err := p.conj()
		if err != nil {
			return nil, err
		}
		left = &cond{op: "or", subs: []*cond{left, right}}
	}
	return left, nil
}

func (p *parser) conj() (*cond, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.is("kw", "AND") {
		p.pos++
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &cond{op: "and", subs: []*cond{left, right}}
	}
	return left, nil
}

func (p *parser) unary() (*cond, error) {
	if p.is("kw", "NOT") {
		p.pos++
		c, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &cond{op: "not", subs: []*cond{c}}, nil
	}
	if p.is("op", "(") {
		p.pos++
		c, err := p.condition()
		if err != nil {
			return nil, err
		}
		return c, p.expect("op", ")")
	}
	a, err := p.operand()
	if err != nil {
		return nil, err
	}
	if a.fn != "" && a.fn != "size" {
		switch a.fn {
		case "attribute_exists", "attribute_not_exists", "begins_with", "contains", "attribute_type":
			return &cond{op: "fn", fn: a.fn, args: a.args}, nil
		}
		return nil, fmt.Errorf("invalid function name; function: %s", a.fn)
	}
	t := p.next()
	switch {
	case t.kind == "op" && slices.Contains([]string{"=", "<>", "<", "<=", ">", ">="}, t.text):
		b, err := p.operand()
		return &cond{op: t.text, args: []operand{a, b}}, err
	case t.kind == "kw" && t.text == "BETWEEN":
		lo, err := p.operand()
		if err != nil {
			return nil, err
		}
		if err := p.expect("kw", "AND"); err != nil {
			return nil, err
		}
		hi, err := p.operand()
		return &cond{op: "between", args: []operand{a, lo, hi}}, err
	case t.kind == "kw" && t.text == "IN":
		if err := p.expect("op", "("); err != nil {
			return nil, err
		}
		args := []operand{a}
		for {
			v, err := p.operand()
			if err != nil {
				return nil, err
			}
			args = append(args, v)
			if p.is("op", ",") {
				p.pos++
				continue
			}
			break
		}
		return &cond{op: "in", args: args}, p.expect("op", ")")
	}
	return nil, fmt.Errorf("syntax error; token: %q", t.text)
}

// parseCondition parses a whole condition expression.
func parseCondition(src string, names map[string]string, values map[string]AV, used map[string]bool) (*cond, error) {
	p, err := newParser(src, names, values, used)
	if err != nil {
		return nil, err
	}
	c, err := p.condition()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != "eof" {
		return nil, fmt.Errorf("syntax error; token: %q", p.peek().text)
	}
	return c, nil
}

// eval returns an operand's value in item (false: it has none).
func (o operand) eval(item Item) (AV, bool, error) {
	switch {
	case o.value != nil:
		return *o.value, true, nil
	case o.fn == "if_not_exists":
		if len(o.args) != 2 || o.args[0].path == "" {
			return AV{}, false, fmt.Errorf("invalid function call: if_not_exists takes a path and a value")
		}
		if v, ok := item[o.args[0].path]; ok {
			return v, true, nil
		}
		return o.args[1].eval(item)
	case o.fn == "size":
		v, ok, err := o.args[0].eval(item)
		if !ok || err != nil {
			return AV{}, false, err
		}
		var n int
		switch v.kind() {
		case "S":
			n = len(*v.S)
		case "B":
			n = len(v.B)
		case "M":
			n = len(v.M)
		case "L":
			n = len(v.L)
		case "SS":
			n = len(v.SS)
		case "NS":
			n = len(v.NS)
		case "BS":
			n = len(v.BS)
		default:
			return AV{}, false, nil
		}
		return numAV(big.NewRat(int64(n), 1)), true, nil
	case o.fn == "+" || o.fn == "-":
		a, ok1, err := o.args[0].eval(item)
		if err != nil {
			return AV{}, false, err
		}
		b, ok2, err := o.args[1].eval(item)
		if err != nil {
			return AV{}, false, err
		}
		if !ok1 || !ok2 || a.N == nil || b.N == nil {
			return AV{}, false, fmt.Errorf("an operand in the update expression has an incorrect data type")
		}
		x, _ := parseNum(*a.N)
		y, _ := parseNum(*b.N)
		if o.fn == "+" {
			return numAV(x.Add(x, y)), true, nil
		}
		return numAV(x.Sub(x, y)), true, nil
	case o.fn != "":
		return AV{}, false, fmt.Errorf("invalid function name; function: %s", o.fn)
	}
	v, ok := item[o.path]
	return v, ok, nil
}

// eval decides the condition on item (nil item: the item does not exist).
func (c *cond) eval(item Item) (bool, error) {
	switch c.op {
	case "or", "and":
		a, err := c.subs[0].eval(item)
		if err != nil {
			return false, err
		}
		if c.op == "or" && a || c.op == "and" && !a {
			return a, nil
		}
		return c.subs[1].eval(item)
	case "not":
		a, err := c.subs[0].eval(item)
		return !a, err
	case "fn":
		return c.call(item)
	}
	vals := make([]AV, len(c.args))
	for i, a := range c.args {
		v, ok, err := a.eval(item)
		if err != nil {
			return false, err
		}
		if !ok {
			// A missing attribute equals nothing: only <> holds.
			return c.op == "<>", nil
		}
		vals[i] = v
	}
	switch c.op {
	case "=":
		return equal(vals[0], vals[1]), nil
	case "<>":
		return !equal(vals[0], vals[1]), nil
	case "in":
		return slices.ContainsFunc(vals[1:], func(v AV) bool { return equal(vals[0], v) }), nil
	case "between":
		lo, ok1 := compare(vals[0], vals[1])
		hi, ok2 := compare(vals[0], vals[2])
		return ok1 && ok2 && lo >= 0 && hi <= 0, nil
	}
	r, ok := compare(vals[0], vals[1])
	if !ok {
		return false, nil
	}
	switch c.op {
	case "<":
		return r < 0, nil
	case "<=":
		return r <= 0, nil
	case ">":
		return r > 0, nil
	case ">=":
		return r >= 0, nil
	}
	return false, fmt.Errorf("syntax error; operator %q", c.op)
}

func (c *cond) call(item Item) (bool, error) {
	switch c.fn {
	case "attribute_exists", "attribute_not_exists":
		if len(c.args) != 1 || c.args[0].path == "" {
			return false, fmt.Errorf("invalid function call: %s takes one attribute", c.fn)
		}
		_, ok := item[c.args[0].path]
		return ok == (c.fn == "attribute_exists"), nil
	case "begins_with", "contains":
		if len(c.args) != 2 {
			return false, fmt.Errorf("invalid function call: %s takes two operands", c.fn)
		}
		a, ok1, err := c.args[0].eval(item)
		if err != nil {
			return false, err
		}
		b, ok2, err := c.args[1].eval(item)
		if err != nil || !ok1 || !ok2 {
			return false, err
		}
		if c.fn == "begins_with" {
			switch {
			case a.S != nil && b.S != nil:
				return strings.HasPrefix(*a.S, *b.S), nil
			case a.B != nil && b.B != nil:
				return strings.HasPrefix(string(a.B), string(b.B)), nil
			}
			return false, nil
		}
		switch {
		case a.S != nil && b.S != nil:
			return strings.Contains(*a.S, *b.S), nil
		case a.SS != nil && b.S != nil:
			return slices.Contains(a.SS, *b.S), nil
		case a.L != nil:
			return slices.ContainsFunc(a.L, func(v AV) bool { return equal(v, b) }), nil
		}
		return false, nil
	case "attribute_type":
		a, ok, err := c.args[0].eval(item)
		if err != nil || !ok {
			return false, err
		}
		t, _, err := c.args[1].eval(item)
		return err == nil && t.S != nil && a.kind() == *t.S, err
	}
	return false, fmt.Errorf("invalid function name; function: %s", c.fn)
}

// update is a parsed update expression.
type update struct {
	set    []assign
	add    []assign
	remove []string
}

type assign struct {
	path string
	val  operand
}

func parseUpdate(src string, names map[string]string, values map[string]AV, used map[string]bool) (*update, error) {
	p, err := newParser(src, names, values, used)
	if err != nil {
		return nil, err
	}
	u := &update{}
	seen := map[string]bool{}
	for p.peek().kind != "eof" {
		t := p.next()
		if t.kind != "kw" || seen[t.text] {
			return nil, fmt.Errorf("syntax error; token: %q", t.text)
		}
		seen[t.text] = true
		for {
			nt := p.next()
			if nt.kind != "name" {
				return nil, fmt.Errorf("syntax error; token: %q", nt.text)
			}
			path, err := p.name(nt)
			if err != nil {
				return nil, err
			}
			switch t.text {
			case "SET":
				if err := p.expect("op", "="); err != nil {
					return nil, err
				}
				v, err := p.operand()
				if err != nil {
					return nil, err
				}
				for p.is("op", "+") || p.is("op", "-") {
					op := p.next().text
					w, err := p.operand()
					if err != nil {
						return nil, err
					}
					v = operand{fn: op, args: []operand{v, w}}
				}
				u.set = append(u.set, assign{path, v})
			case "ADD":
				v, err := p.operand()
				if err != nil {
					return nil, err
				}
				u.add = append(u.add, assign{path, v})
			case "REMOVE":
				u.remove = append(u.remove, path)
			default:
				return nil, fmt.Errorf("the fake does not support %s in update expressions", t.text)
			}
			if !p.is("op", ",") {
				break
			}
			p.pos++
		}
	}
	return u, nil
}

// apply returns item changed by the update (item is not modified).
func (u *update) apply(item Item) (Item, error) {
	out := Item{}
	for k, v := range item {
		out[k] = v
	}
	for _, a := range u.set {
		v, ok, err := a.val.eval(item) // operands read the item as it was
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("the provided expression refers to an attribute that does not exist in the item")
		}
		out[a.path] = v
	}
	for _, path := range u.remove {
		delete(out, path)
	}
	for _, a := range u.add {
		v, _, err := a.val.eval(item)
		if err != nil {
			return nil, err
		}
		cur, has := item[a.path]
		switch {
		case v.N != nil:
			if has && cur.N == nil {
				return nil, fmt.Errorf("an operand in the update expression has an incorrect data type")
			}
			x, err := parseNum(*v.N)
			if err != nil {
				return nil, err
			}
			if has {
				y, _ := parseNum(*cur.N)
				x = x.Add(x, y)
			}
			out[a.path] = numAV(x)
		case v.SS != nil:
			set := slices.Clone(cur.SS)
			for _, s := range v.SS {
				if !slices.Contains(set, s) {
					set = append(set, s)
				}
			}
			out[a.path] = AV{SS: set}
		case v.NS != nil:
			set := slices.Clone(cur.NS)
			for _, s := range v.NS {
				if !slices.Contains(set, s) {
					set = append(set, s)
				}
			}
			out[a.path] = AV{NS: set}
		default:
			return nil, fmt.Errorf("an operand in the update expression has an incorrect data type")
		}
	}
	return out, nil
}

// parseProjection reads a projection expression: attribute names separated by commas.
func parseProjection(src string, names map[string]string, used map[string]bool) ([]string, error) {
	p, err := newParser(src, names, nil, used)
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		t := p.next()
		if t.kind != "name" {
			return nil, fmt.Errorf("syntax error; token: %q", t.text)
		}
		n, err := p.name(t)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.peek().kind == "eof" {
			return out, nil
		}
		if err := p.expect("op", ","); err != nil {
			return nil, err
		}
	}
}
