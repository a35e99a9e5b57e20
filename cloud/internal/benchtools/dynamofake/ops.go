package dynamofake

import (
	"fmt"
	"slices"
	"strings"
)

// exprs is the names and values of one request and which of them its expressions used.
type exprs struct {
	names  map[string]string
	values map[string]AV
	used   map[string]bool
}

func newExprs(names map[string]string, values map[string]AV) *exprs {
	return &exprs{names: names, values: values, used: map[string]bool{}}
}

func (e *exprs) cond(src *string) (*cond, error) {
	if src == nil {
		return nil, nil
	}
	if strings.TrimSpace(*src) == "" {
		return nil, validation("Invalid ConditionExpression: The expression can not be empty;")
	}
	c, err := parseCondition(*src, e.names, e.values, e.used)
	if err != nil {
		return nil, validation("Invalid ConditionExpression: %v", err)
	}
	return c, nil
}

// lastCond parses a request's last expression, its condition, then checks that every
// name and value given was used (DynamoDB refuses unused ones).
func (e *exprs) lastCond(src *string) (*cond, error) {
	c, err := e.cond(src)
	if err != nil {
		return nil, err
	}
	return c, e.check()
}

// lastProjection is lastCond for a request whose last expression is its projection.
func (e *exprs) lastProjection(src *string) ([]string, error) {
	p, err := e.projection(src)
	if err != nil {
		return nil, err
	}
	return p, e.check()
}

func (e *exprs) projection(src *string) ([]string, error) {
	if src == nil {
		return nil, nil
	}
	p, err := parseProjection(*src, e.names, e.used)
	if err != nil {
		return nil, validation("Invalid ProjectionExpression: %v", err)
	}
	return p, nil
}

// check refuses names and values no expression used, as DynamoDB does.
func (e *exprs) check() error {
	for k := range e.names {
		if !e.used[k] {
			return validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", k)
		}
	}
	for k := range e.values {
		if !e.used[k] {
			return validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", k)
		}
	}
	return nil
}

func project(item Item, attrs []string) Item {
	if item == nil || attrs == nil {
		return item
	}
	out := Item{}
	for _, a := range attrs {
		if v, ok := item[a]; ok {
			out[a] = v
		}
	}
	return out
}

func conditionFailed(old Item, returnOld bool) *apiError {
	e := &apiError{Type: "ConditionalCheckFailedException", Message: "The conditional request failed", Status: 400}
	if returnOld && old != nil {
		e.Extra = map[string]any{"Item": old}
	}
	return e
}

// --- single items ---------------------------------------------------------------------

type getItemInput struct {
	TableName                string
	Key                      Item
	ConsistentRead           bool
	ProjectionExpression     *string
	ExpressionAttributeNames map[string]string
}

// readTable finds the table of a read by key (GetItem, BatchGetItem) and parses its
// projection, the only expression such a read has.
func (f *Fake) readTable(name string, names map[string]string, projection *string) (*table, []string, error) {
	t, err := f.table(name)
	if err != nil {
		return nil, nil, err
	}
	proj, err := newExprs(names, nil).lastProjection(projection)
	if err != nil {
		return nil, nil, err
	}
	return t, proj, nil
}

func (f *Fake) getItem(in getItemInput) (any, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, proj, err := f.readTable(in.TableName, in.ExpressionAttributeNames, in.ProjectionExpression)
	if err != nil {
		return nil, err
	}
	k, err := t.key(in.Key)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if item := t.get(k); item != nil {
		out["Item"] = project(item, proj)
	}
	return out, nil
}

type writeCommon struct {
	TableName                           string
	ConditionExpression                 *string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           map[string]AV
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
}

type putItemInput struct {
	writeCommon
	Item Item
}

type updateItemInput struct {
	writeCommon
	Key              Item
	UpdateExpression *string
}

type deleteItemInput struct {
	writeCommon
	Key Item
}

// prepared is a checked single-item write, ready to apply.
type prepared struct {
	t      *table
	key    Item
	old    Item
	next   Item // nil: delete
	ok     bool // the condition holds
	retOld bool
}

func (f *Fake) preparePut(in putItemInput) (*prepared, error) {
	t, err := f.table(in.TableName)
	if err != nil {
		return nil, err
	}
	c, err := newExprs(in.ExpressionAttributeNames, in.ExpressionAttributeValues).lastCond(in.ConditionExpression)
	if err != nil {
		return nil, err
	}
	k, err := t.key(keyOf(in.Item, t.def.KeySchema))
	if err != nil {
		return nil, validation("One or more parameter values were invalid: Missing the key %s in the item", keyList(t.def.KeySchema))
	}
	return t.prepare(k, c, in.Item, in.ReturnValuesOnConditionCheckFailure == "ALL_OLD")
}

func (t *table) prepare(k Item, c *cond, next Item, retOld bool) (*prepared, error) {
	p := &prepared{t: t, key: k, old: t.get(k), next: next, ok: true, retOld: retOld}
	if c != nil {
		ok, err := c.eval(p.old)
		if err != nil {
			return nil, validation("Invalid ConditionExpression: %v", err)
		}
		p.ok = ok
	}
	return p, nil
}

func (p *prepared) apply() error {
	if p.next == nil {
		p.t.del(p.key)
		return nil
	}
	return p.t.put(p.next)
}

// tableKey finds a request's table and checks its key against the table's schema.
func (f *Fake) tableKey(name string, key Item) (*table, Item, error) {
	t, err := f.table(name)
	if err != nil {
		return nil, nil, err
	}
	k, err := t.key(key)
	if err != nil {
		return nil, nil, err
	}
	return t, k, nil
}

func (f *Fake) prepareUpdate(in updateItemInput) (*prepared, error) {
	t, k, err := f.tableKey(in.TableName, in.Key)
	if err != nil {
		return nil, err
	}
	e := newExprs(in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if in.UpdateExpression == nil {
		return nil, validation("the fake needs an UpdateExpression")
	}
	u, err := parseUpdate(*in.UpdateExpression, e.names, e.values, e.used)
	if err != nil {
		return nil, validation("Invalid UpdateExpression: %v", err)
	}
	c, err := e.lastCond(in.ConditionExpression)
	if err != nil {
		return nil, err
	}
	for _, a := range append(slices.Clone(u.set), u.add...) {
		if _, isKey := k[a.path]; isKey {
			return nil, validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", a.path)
		}
	}
	p, err := t.prepare(k, c, nil, in.ReturnValuesOnConditionCheckFailure == "ALL_OLD")
	if err != nil {
		return nil, err
	}
	base := Item{}
	for n, v := range k {
		base[n] = v
	}
	if p.old != nil {
		base = p.old
	}
	next, err := u.apply(base)
	if err != nil {
		return nil, validation("Invalid UpdateExpression: %v", err)
	}
	p.next = next
	return p, nil
}

func (f *Fake) prepareDelete(in deleteItemInput) (*prepared, error) {
	t, k, err := f.tableKey(in.TableName, in.Key)
	if err != nil {
		return nil, err
	}
	c, err := newExprs(in.ExpressionAttributeNames, in.ExpressionAttributeValues).lastCond(in.ConditionExpression)
	if err != nil {
		return nil, err
	}
	return t.prepare(k, c, nil, in.ReturnValuesOnConditionCheckFailure == "ALL_OLD")
}

func (f *Fake) single(p *prepared, err error, ret string) (any, error) {
	if err != nil {
		return nil, err
	}
	if !p.ok {
		return nil, conditionFailed(p.old, p.retOld)
	}
	if err := p.apply(); err != nil {
		return nil, err
	}
	out := map[string]any{}
	switch ret {
	case "", "NONE":
	case "ALL_OLD":
		if p.old != nil {
			out["Attributes"] = p.old
		}
	case "ALL_NEW":
		out["Attributes"] = p.next
	default:
		return nil, validation("the fake does not return %s", ret)
	}
	return out, nil
}

func (f *Fake) putItem(in putItemInput) (any, error) {
	p, err := f.preparePut(in)
	return f.single(p, err, in.ReturnValues)
}

func (f *Fake) updateItem(in updateItemInput) (any, error) {
	p, err := f.prepareUpdate(in)
	return f.single(p, err, in.ReturnValues)
}

func (f *Fake) deleteItem(in deleteItemInput) (any, error) {
	p, err := f.prepareDelete(in)
	return f.single(p, err, in.ReturnValues)
}

// --- batches and transactions -----------------------------------------------------------

type keysAndAttributes struct {
	Keys                     []Item
	ConsistentRead           bool
	ProjectionExpression     *string
	ExpressionAttributeNames map[string]string
}

type batchGetInput struct {
	RequestItems map[string]keysAndAttributes
}

func (f *Fake) batchGet(in batchGetInput) (any, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	resp := map[string][]Item{}
	for name, ka := range in.RequestItems {
		t, proj, err := f.readTable(name, ka.ExpressionAttributeNames, ka.ProjectionExpression)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		items := []Item{}
		for _, k := range ka.Keys {
			if _, err := t.key(k); err != nil {
				return nil, err
			}
			id := fmt.Sprint(scalarKey(k[t.base.hash]), "\x00", scalarKey(k[t.base.rng]))
			if seen[id] {
				return nil, validation("Provided list of item keys contains duplicates")
			}
			seen[id] = true
			n++
			if item := t.get(k); item != nil {
				items = append(items, project(item, proj))
			}
		}
		resp[name] = items
	}
	if n > 100 {
		return nil, validation("Too many items requested for the BatchGetItem call")
	}
	return map[string]any{"Responses": resp, "UnprocessedKeys": map[string]any{}}, nil
}

type batchWriteInput struct {
	RequestItems map[string][]struct {
		PutRequest    *struct{ Item Item }
		DeleteRequest *struct{ Key Item }
	}
}

func (f *Fake) batchWrite(in batchWriteInput) (any, error) {
	var ops []*prepared
	for name, reqs := range in.RequestItems {
		for _, r := range reqs {
			var p *prepared
			var err error
			switch {
			case r.PutRequest != nil:
				p, err = f.preparePut(putItemInput{writeCommon: writeCommon{TableName: name}, Item: r.PutRequest.Item})
			case r.DeleteRequest != nil:
				p, err = f.prepareDelete(deleteItemInput{writeCommon: writeCommon{TableName: name}, Key: r.DeleteRequest.Key})
			default:
				err = validation("a WriteRequest needs a PutRequest or a DeleteRequest")
			}
			if err != nil {
				return nil, err
			}
			ops = append(ops, p)
		}
	}
	if len(ops) > 25 {
		return nil, validation("Too many items requested for the BatchWriteItem call")
	}
	if err := distinct(ops, "Provided list of item keys contains duplicates"); err != nil {
		return nil, err
	}
	for _, p := range ops {
		if err := p.apply(); err != nil {
			return nil, err
		}
	}
	return map[string]any{"UnprocessedItems": map[string]any{}}, nil
}

func distinct(ops []*prepared, msg string) error {
	seen := map[string]bool{}
	for _, p := range ops {
		id := p.t.name + "\x00" + scalarKey(p.key[p.t.base.hash])
		if p.t.base.rng != "" {
			id += "\x00" + scalarKey(p.key[p.t.base.rng])
		}
		if seen[id] {
			return validation("%s", msg)
		}
		seen[id] = true
	}
	return nil
}

type transactInput struct {
	TransactItems []struct {
		Put            *putItemInput
		Update         *updateItemInput
		Delete         *deleteItemInput
		ConditionCheck *struct {
			writeCommon
			Key Item
		}
	}
}

func (f *Fake) transact(in transactInput) (any, error) {
	if len(in.TransactItems) == 0 || len(in.TransactItems) > 100 {
		return nil, validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and 100")
	}
	var ops []*prepared
	for _, it := range in.TransactItems {
		var p *prepared
		var err error
		switch {
		case it.Put != nil:
			p, err = f.preparePut(*it.Put)
		case it.Update != nil:
			p, err = f.prepareUpdate(*it.Update)
		case it.Delete != nil:
			p, err = f.prepareDelete(*it.Delete)
		case it.ConditionCheck != nil:
			cc := it.ConditionCheck
			p, err = f.prepareDelete(deleteItemInput{writeCommon: cc.writeCommon, Key: cc.Key})
			if p != nil {
				p.next = p.old // a check changes nothing
				if p.old == nil {
					p.next = nil
				}
			}
		default:
			err = validation("a TransactWriteItem needs one action")
		}
		if err != nil {
			return nil, err
		}
		ops = append(ops, p)
	}
	if err := distinct(ops, "Transaction request cannot include multiple operations on one item"); err != nil {
		return nil, err
	}
	failed := false
	reasons := make([]map[string]any, len(ops))
	for i, p := range ops {
		reasons[i] = map[string]any{"Code": "None"}
		if !p.ok {
			failed = true
			reasons[i] = map[string]any{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
			if p.retOld && p.old != nil {
				reasons[i]["Item"] = p.old
			}
		}
	}
	if failed {
		var codes []string
		for _, r := range reasons {
			codes = append(codes, r["Code"].(string))
		}
		return nil, &apiError{Type: "TransactionCanceledException", Status: 400,
			Message: "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]",
			Extra:   map[string]any{"CancellationReasons": reasons}}
	}
	for i, p := range ops {
		if in.TransactItems[i].ConditionCheck != nil {
			continue
		}
		if err := p.apply(); err != nil {
			return nil, err
		}
	}
	return map[string]any{}, nil
}
