package dynamofake

import (
	"sort"
	"strings"
)

type queryInput struct {
	TableName                 string
	IndexName                 *string
	KeyConditionExpression    *string
	FilterExpression          *string
	ProjectionExpression      *string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]AV
	ExclusiveStartKey         Item
	Limit                     *int
	ScanIndexForward          *bool
	ConsistentRead            bool
	Select                    string
}

// pageBytes is DynamoDB's limit on the data one Query reads.
const pageBytes = 1 << 20

// keyRange is a key condition: the partition and where in it.
type keyRange struct {
	hash AV
	// rng decides a range key value: -1 below the condition's range, 0 in it, 1 above.
	rng func(AV) int
}

func (f *Fake) query(in queryInput) (any, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, err := f.table(in.TableName)
	if err != nil {
		return nil, err
	}
	x, err := t.index(deref(in.IndexName))
	if err != nil {
		return nil, err
	}
	if x.name != "" && in.ConsistentRead {
		return nil, validation("Consistent reads are not supported on global secondary indexes")
	}
	if in.Limit != nil && *in.Limit <= 0 {
		return nil, validation("1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
	}
	e := newExprs(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if in.KeyConditionExpression == nil {
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	kc, err := parseCondition(*in.KeyConditionExpression, e.names, e.values, e.used)
	if err != nil {
		return nil, validation("Invalid KeyConditionExpression: %v", err)
	}
	kr, err := x.keyRange(kc)
	if err != nil {
		return nil, err
	}
	var filter *cond
	if in.FilterExpression != nil {
		if filter, err = parseCondition(*in.FilterExpression, e.names, e.values, e.used); err != nil {
			return nil, validation("Invalid FilterExpression: %v", err)
		}
	}
	proj, err := e.lastProjection(in.ProjectionExpression)
	if err != nil {
		return nil, err
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	part := x.parts[scalarKey(kr.hash)]

	// The first position to read: the range's start, or just past ExclusiveStartKey.
	var i int
	if forward {
		i = sort.Search(len(part), func(j int) bool { return kr.rng(part[j][x.rng]) >= 0 })
	} else {
		i = sort.Search(len(part), func(j int) bool { return kr.rng(part[j][x.rng]) > 0 }) - 1
	}
	if in.ExclusiveStartKey != nil {
		if err := x.checkStartKey(t, in.ExclusiveStartKey, kr.hash); err != nil {
			return nil, err
		}
		j, found := x.find(part, in.ExclusiveStartKey)
		switch {
		case forward:
			if found {
				j++
			}
			i = max(i, j)
		default:
			i = min(i, j-1)
		}
	}
	items := []Item{}
	count, scanned, size := 0, 0, 0
	var last Item
	limit := -1
	if in.Limit != nil {
		limit = *in.Limit
	}
	for ; i >= 0 && i < len(part); i = step(i, forward) {
		it := part[i]
		if kr.rng(it[x.rng]) != 0 {
			break
		}
		scanned++
		size += it.size()
		last = it
		if filter != nil {
			ok, err := filter.eval(it)
			if err != nil {
				return nil, validation("Invalid FilterExpression: %v", err)
			}
			if !ok {
				goto next
			}
		}
		count++
		if in.Select != "COUNT" {
			items = append(items, project(it, proj))
		}
	next:
		if scanned == limit || size >= pageBytes {
			// DynamoDB stops here and says where, whether or not more follow.
			out := map[string]any{"Items": items, "Count": count, "ScannedCount": scanned, "LastEvaluatedKey": x.keyOf(t, last)}
			return out, nil
		}
	}
	out := map[string]any{"Count": count, "ScannedCount": scanned}
	if in.Select != "COUNT" {
		out["Items"] = items
	}
	return out, nil
}

func step(i int, forward bool) int {
	if forward {
		return i + 1
	}
	return i - 1
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// keyOf is an item's position for LastEvaluatedKey: the table's key, and the index's.
func (x *index) keyOf(t *table, item Item) Item {
	k := keyOf(item, t.def.KeySchema)
	if x.name != "" {
		k[x.hash] = item[x.hash]
		if x.rng != "" {
			k[x.rng] = item[x.rng]
		}
	}
	return k
}

func (x *index) checkStartKey(t *table, k Item, hash AV) error {
	want := len(x.keyOf(t, k))
	if _, err := t.key(keyOf(k, t.def.KeySchema)); err != nil || len(k) != want {
		return validation("The provided starting key is invalid: The provided key element does not match the schema")
	}
	if !equal(k[x.hash], hash) {
		return validation("The provided starting key is invalid: The query can return only results from one partition")
	}
	return nil
}

// keyRange reads a key condition: the partition key's equality, and optionally one
// condition on the sort key (=, <, <=, >, >=, BETWEEN, begins_with).
func (x *index) keyRange(c *cond) (keyRange, error) {
	parts := []*cond{c}
	if c.op == "and" {
		parts = c.subs
		if parts[0].op == "and" || parts[1].op == "and" {
			return keyRange{}, validation("Query key condition not supported")
		}
	}
	kr := keyRange{rng: func(AV) int { return 0 }}
	hashSet := false
	for _, p := range parts {
		switch {
		case p.op == "=" && p.args[0].path == x.hash && p.args[1].value != nil:
			if hashSet {
				return keyRange{}, validation("KeyConditionExpressions must only contain one condition per key")
			}
			kr.hash, hashSet = *p.args[1].value, true
		case x.rng != "" && len(p.args) > 0 && p.args[0].path == x.rng:
			r, err := rangeOf(p)
			if err != nil {
				return keyRange{}, err
			}
			kr.rng = r
		default:
			return keyRange{}, validation("Query condition missed key schema element: %s", x.hash)
		}
	}
	if !hashSet {
		return keyRange{}, validation("Query condition missed key schema element: %s", x.hash)
	}
	return kr, nil
}

func rangeOf(p *cond) (func(AV) int, error) {
	vals := []AV{}
	for _, a := range p.args[1:] {
		if a.value == nil {
			return nil, validation("Invalid KeyConditionExpression: sort key conditions compare with values")
		}
		vals = append(vals, *a.value)
	}
	cmp := func(a, b AV) int { c, _ := compare(a, b); return c }
	switch p.op {
	case "=":
		return func(v AV) int { return cmp(v, vals[0]) }, nil
	case "<":
		return func(v AV) int { return b2i(cmp(v, vals[0]) >= 0) }, nil
	case "<=":
		return func(v AV) int { return b2i(cmp(v, vals[0]) > 0) }, nil
	case ">":
		return func(v AV) int { return -b2i(cmp(v, vals[0]) <= 0) }, nil
	case ">=":
		return func(v AV) int { return -b2i(cmp(v, vals[0]) < 0) }, nil
	case "between":
		if cmp(vals[0], vals[1]) > 0 {
			return nil, validation("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound")
		}
		return func(v AV) int {
			switch {
			case cmp(v, vals[0]) < 0:
				return -1
			case cmp(v, vals[1]) > 0:
				return 1
			}
			return 0
		}, nil
	case "fn":
		if p.fn == "begins_with" && vals[0].S != nil {
			pre := *vals[0].S
			return func(v AV) int {
				s := scalar(v)
				switch {
				case strings.HasPrefix(s, pre):
					return 0
				case s < pre:
					return -1
				}
				return 1
			}, nil
		}
	}
	return nil, validation("Invalid operator used in KeyConditionExpression: %s", p.op)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
