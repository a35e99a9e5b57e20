// Package dynamofake is an in-memory stand-in for Amazon DynamoDB that speaks its JSON
// protocol over HTTP, for benchmarks: the UI bench reads a cloud task's million object
// records through the real dynamostore code, which the AWS emulator would serve too
// slowly to measure the app. It answers the calls cloud/state/dynamostore makes
// (CreateTable, DescribeTable, GetItem, PutItem, UpdateItem, DeleteItem, Query,
// BatchGetItem, BatchWriteItem, TransactWriteItems) as DynamoDB does: key conditions,
// condition, filter, update and projection expressions on top-level attributes, global
// secondary indexes (projection ALL), Limit, the 1 MB page and ExclusiveStartKey
// paging, ScanIndexForward, and DynamoDB's errors. Tests and benchmarks only: nothing
// in the app or the agent imports it.
package dynamofake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fake is the in-memory DynamoDB: an http.Handler for the endpoint.
type Fake struct {
	mu     sync.RWMutex
	tables map[string]*table
}

// New returns an empty fake.
func New() *Fake { return &Fake{tables: map[string]*table{}} }

// apiError is an error as DynamoDB's JSON protocol returns it.
type apiError struct {
	Type    string
	Message string
	Status  int
	Extra   map[string]any
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func validation(format string, a ...any) *apiError {
	return &apiError{Type: "ValidationException", Message: fmt.Sprintf(format, a...), Status: 400}
}

const targetPrefix = "DynamoDB_20120810."

// ServeHTTP answers one DynamoDB JSON-protocol request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if r.Method != http.MethodPost || !ok {
		writeError(w, &apiError{Type: "UnknownOperationException", Message: "not a DynamoDB request", Status: 400})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, validation("read the request: %v", err))
		return
	}
	out, err := f.Do(op, body)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = validation("%v", err)
		}
		writeError(w, ae)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(e.Status)
	body := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + e.Type, "message": e.Message}
	for k, v := range e.Extra {
		body[k] = v
	}
	_ = json.NewEncoder(w).Encode(body)
}

// Do runs operation op on its JSON request body and returns the response body.
func (f *Fake) Do(op string, body []byte) (any, error) {
	dec := func(v any) error {
		if err := json.Unmarshal(body, v); err != nil {
			return &apiError{Type: "SerializationException", Message: err.Error(), Status: 400}
		}
		return nil
	}
	switch op {
	case "CreateTable":
		var in createTableInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.createTable(in)
	case "DescribeTable":
		var in struct{ TableName string }
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.describeTable(in.TableName)
	case "GetItem":
		var in getItemInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.getItem(in)
	case "PutItem":
		var in putItemInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.write(func() (any, error) { return f.putItem(in) })
	case "UpdateItem":
		var in updateItemInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.write(func() (any, error) { return f.updateItem(in) })
	case "DeleteItem":
		var in deleteItemInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.write(func() (any, error) { return f.deleteItem(in) })
	case "Query":
		var in queryInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.query(in)
	case "BatchGetItem":
		var in batchGetInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.batchGet(in)
	case "BatchWriteItem":
		var in batchWriteInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.write(func() (any, error) { return f.batchWrite(in) })
	case "TransactWriteItems":
		var in transactInput
		if err := dec(&in); err != nil {
			return nil, err
		}
		return f.write(func() (any, error) { return f.transact(in) })
	}
	return nil, &apiError{Type: "UnknownOperationException", Message: "the fake does not serve " + op, Status: 400}
}

func (f *Fake) write(fn func() (any, error)) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fn()
}

// --- tables ---------------------------------------------------------------------------

type keyElem struct {
	AttributeName string
	KeyType       string
}

type attrDef struct {
	AttributeName string
	AttributeType string
}

type gsiDef struct {
	IndexName  string
	KeySchema  []keyElem
	Projection map[string]any `json:",omitempty"`
}

type createTableInput struct {
	TableName              string
	KeySchema              []keyElem
	AttributeDefinitions   []attrDef
	GlobalSecondaryIndexes []gsiDef
	BillingMode            string
}

func (f *Fake) createTable(in createTableInput) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tables[in.TableName]; ok {
		return nil, &apiError{Type: "ResourceInUseException", Message: "Table already exists: " + in.TableName, Status: 400}
	}
	hash, rng := keyNames(in.KeySchema)
	if hash == "" {
		return nil, validation("1 validation error detected: the key schema needs a HASH key")
	}
	t := &table{name: in.TableName, def: in, created: time.Now(), base: newIndex("", hash, rng, "", "")}
	for _, g := range in.GlobalSecondaryIndexes {
		h, r := keyNames(g.KeySchema)
		t.gsis = append(t.gsis, newIndex(g.IndexName, h, r, hash, rng))
	}
	f.tables[in.TableName] = t
	return map[string]any{"TableDescription": t.describe()}, nil
}

func keyNames(ks []keyElem) (hash, rng string) {
	for _, k := range ks {
		switch k.KeyType {
		case "HASH":
			hash = k.AttributeName
		case "RANGE":
			rng = k.AttributeName
		}
	}
	return hash, rng
}

func (f *Fake) describeTable(name string) (any, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, err := f.table(name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": t.describe()}, nil
}

// table finds a table (callers hold f.mu).
func (f *Fake) table(name string) (*table, error) {
	t, ok := f.tables[name]
	if !ok {
		return nil, &apiError{Type: "ResourceNotFoundException", Message: "Requested resource not found", Status: 400}
	}
	return t, nil
}

type table struct {
	name    string
	def     createTableInput
	created time.Time
	base    *index
	gsis    []*index
}

func (t *table) describe() map[string]any {
	gsis := []map[string]any{}
	for _, g := range t.def.GlobalSecondaryIndexes {
		gsis = append(gsis, map[string]any{"IndexName": g.IndexName, "KeySchema": g.KeySchema,
			"Projection": map[string]any{"ProjectionType": "ALL"}, "IndexStatus": "ACTIVE"})
	}
	d := map[string]any{"TableName": t.name, "TableStatus": "ACTIVE", "KeySchema": t.def.KeySchema,
		"AttributeDefinitions": t.def.AttributeDefinitions, "ItemCount": t.base.count,
		"CreationDateTime": float64(t.created.Unix()), "TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/" + t.name,
		"BillingModeSummary": map[string]any{"BillingMode": "PAY_PER_REQUEST"}}
	if len(gsis) > 0 {
		d["GlobalSecondaryIndexes"] = gsis
	}
	return d
}

func (t *table) index(name string) (*index, error) {
	if name == "" {
		return t.base, nil
	}
	for _, g := range t.gsis {
		if g.name == name {
			return g, nil
		}
	}
	return nil, validation("The table does not have the specified index: %s", name)
}

// key checks a primary key and returns its items' identity.
func (t *table) key(k Item) (Item, error) {
	if len(k) != len(t.def.KeySchema) {
		return nil, validation("The provided key element does not match the schema")
	}
	for _, e := range t.def.KeySchema {
		v, ok := k[e.AttributeName]
		if !ok || !t.keyTypeOK(e.AttributeName, v) {
			return nil, validation("The provided key element does not match the schema")
		}
	}
	return k, nil
}

func (t *table) keyTypeOK(name string, v AV) bool {
	for _, d := range t.def.AttributeDefinitions {
		if d.AttributeName == name {
			return v.kind() == d.AttributeType && (v.S == nil || *v.S != "") && (v.B == nil || len(v.B) > 0)
		}
	}
	return false
}

func (t *table) get(k Item) Item { return t.base.get(k) }

// put stores item (nil old: new) and keeps the indexes.
func (t *table) put(item Item) error {
	if _, err := t.key(keyOf(item, t.def.KeySchema)); err != nil {
		return validation("One or more parameter values were invalid: Missing the key %s in the item", keyList(t.def.KeySchema))
	}
	for _, g := range t.gsis {
		for _, n := range []string{g.hash, g.rng} {
			if v, ok := item[n]; ok && !t.keyTypeOK(n, v) {
				return validation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: S Actual: %s IndexName: %s", n, v.kind(), g.name)
			}
		}
	}
	old := t.base.get(item)
	t.base.remove(old)
	t.base.add(item)
	for _, g := range t.gsis {
		g.remove(old)
		g.add(item)
	}
	return nil
}

func (t *table) del(k Item) {
	old := t.base.get(k)
	t.base.remove(old)
	for _, g := range t.gsis {
		g.remove(old)
	}
}

func keyList(ks []keyElem) string {
	var n []string
	for _, k := range ks {
		n = append(n, k.AttributeName)
	}
	return strings.Join(n, ", ")
}

func keyOf(item Item, ks []keyElem) Item {
	k := Item{}
	for _, e := range ks {
		if v, ok := item[e.AttributeName]; ok {
			k[e.AttributeName] = v
		}
	}
	return k
}

// index keeps items sorted by range key within each hash key: the base table or a GSI
// (whose order breaks ties by the table's key, as DynamoDB's is stable per item).
type index struct {
	name                string
	hash, rng           string
	tableHash, tableRng string
	parts               map[string][]Item // hash value (as a string key) → items in order
	count               int
}

func newIndex(name, hash, rng, tableHash, tableRng string) *index {
	return &index{name: name, hash: hash, rng: rng, tableHash: tableHash, tableRng: tableRng, parts: map[string][]Item{}}
}

func scalarKey(v AV) string { return v.kind() + ":" + scalar(v) }

func scalar(v AV) string {
	switch {
	case v.S != nil:
		return *v.S
	case v.N != nil:
		return *v.N
	}
	return string(v.B)
}

// in reports whether item belongs in the index (a GSI is sparse).
func (x *index) in(item Item) bool {
	if item == nil {
		return false
	}
	if _, ok := item[x.hash]; !ok {
		return false
	}
	if x.rng != "" {
		if _, ok := item[x.rng]; !ok {
			return false
		}
	}
	return true
}

// cmpItems orders two items of one partition.
func (x *index) cmpItems(a, b Item) int {
	if x.rng != "" {
		if c, _ := compare(a[x.rng], b[x.rng]); c != 0 {
			return c
		}
	}
	if x.tableHash == "" {
		return 0
	}
	if c := strings.Compare(scalarKey(a[x.tableHash]), scalarKey(b[x.tableHash])); c != 0 {
		return c
	}
	if x.tableRng != "" {
		c, _ := compare(a[x.tableRng], b[x.tableRng])
		return c
	}
	return 0
}

func (x *index) find(part []Item, item Item) (int, bool) {
	return slices.BinarySearchFunc(part, item, x.cmpItems)
}

func (x *index) get(k Item) Item {
	if !x.in(k) {
		return nil
	}
	part := x.parts[scalarKey(k[x.hash])]
	if i, ok := x.find(part, k); ok {
		return part[i]
	}
	return nil
}

func (x *index) add(item Item) {
	if !x.in(item) {
		return
	}
	hk := scalarKey(item[x.hash])
	part := x.parts[hk]
	i, _ := x.find(part, item)
	x.parts[hk] = slices.Insert(part, i, item)
	x.count++
}

func (x *index) remove(item Item) {
	if !x.in(item) {
		return
	}
	hk := scalarKey(item[x.hash])
	part := x.parts[hk]
	if i, ok := x.find(part, item); ok {
		part = slices.Delete(part, i, i+1)
		x.count--
		if len(part) == 0 {
			delete(x.parts, hk)
		} else {
			x.parts[hk] = part
		}
	}
}
