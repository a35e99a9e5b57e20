package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The bill, as DynamoDB computes it (on-demand): a write costs one write request unit per
// started KB of the larger of the item's size before and after it (at least one), twice
// in a transaction; a write that changes an item's entry in a global secondary index
// costs the index entry's size in write units too (deleting an entry, its old size;
// moving it, both). A read costs one read request unit per started 4 KB of the items it
// reads (a Query: their sum), half when eventually consistent. Item sizes follow
// DynamoDB's rules (item-size.go below) and come from the items as stored: the proxy
// keeps each item's stored size, learnt from the Put requests that store it (a Put stores
// exactly its item) and from reading the item back after every Update.

// itemInfo is what the bill needs of a stored item.
type itemInfo struct {
	size  int
	index string // its key in the byStatus index ("" when not in it)
}

// billing tallies the bill of one run.
type billing struct {
	mu    sync.Mutex
	items map[string]itemInfo // by pk + "\x00" + sk
	// Totals.
	itemWrites int64   // item writes on the table (Put, Update, Delete, also in transactions and batches)
	wcu        int64   // table write units, transactions counted twice
	indexWCU   int64   // index write units
	rru        float64 // read request units
}

func newBilling() *billing { return &billing{items: map[string]itemInfo{}} }

func (b *billing) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.itemWrites, b.wcu, b.indexWCU, b.rru = 0, 0, 0, 0
}

func (b *billing) totals() (itemWrites, wcu, indexWCU int64, rru float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.itemWrites, b.wcu, b.indexWCU, b.rru
}

func units(size, per int) int64 { return int64(max(1, (size+per-1)/per)) }

// write is one item write of a request: the item's key and, for a Put, its new item.
type write struct {
	key  string
	put  map[string]any // the whole item (Put); nil for Update and Delete
	del  bool
	tx   bool
	keyA map[string]any // the key attributes, to read the item back after an Update
}

// writesOf lists a write request's item writes.
func writesOf(action string, body []byte) []write {
	var req map[string]any
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	var out []write
	add := func(op string, m map[string]any, tx bool) {
		switch op {
		case "Put", "PutRequest":
			item, _ := m["Item"].(map[string]any)
			out = append(out, write{key: keyOf(item), put: item, tx: tx})
		case "Update", "ConditionCheck":
			k, _ := m["Key"].(map[string]any)
			out = append(out, write{key: keyOf(k), keyA: k, tx: tx})
		case "Delete", "DeleteRequest":
			k, _ := m["Key"].(map[string]any)
			out = append(out, write{key: keyOf(k), del: true, tx: tx})
		}
	}
	switch action {
	case "PutItem":
		add("Put", req, false)
	case "UpdateItem":
		add("Update", req, false)
	case "DeleteItem":
		add("Delete", req, false)
	case "TransactWriteItems":
		acts, _ := req["TransactItems"].([]any)
		for _, a := range acts {
			for op, m := range a.(map[string]any) {
				mm, _ := m.(map[string]any)
				add(op, mm, true)
			}
		}
	case "BatchWriteItem":
		tables, _ := req["RequestItems"].(map[string]any)
		for _, reqs := range tables {
			list, _ := reqs.([]any)
			for _, r := range list {
				for op, m := range r.(map[string]any) {
					mm, _ := m.(map[string]any)
					add(op, mm, false)
				}
			}
		}
	}
	return out
}

func keyOf(item map[string]any) string {
	return strAttr(item, "pk") + "\x00" + strAttr(item, "sk")
}

func strAttr(item map[string]any, name string) string {
	v, _ := item[name].(map[string]any)
	s, _ := v["S"].(string)
	return s
}

func indexKey(item map[string]any) string {
	pk := strAttr(item, "gsi1pk")
	if pk == "" {
		return ""
	}
	return pk + "\x00" + strAttr(item, "gsi1sk")
}

// before snapshots the stored items a request will write.
func (b *billing) before(ws []write) []itemInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]itemInfo, len(ws))
	for i, w := range ws {
		out[i] = b.items[w.key]
	}
	return out
}

// after bills a write request's item writes once it was answered (applied: HTTP 200;
// a refused conditional write or cancelled transaction is billed all the same, for the
// items as they were). unprocessed names a batch's writes that were not done.
func (b *billing) after(ctx context.Context, ddb *dynamodb.Client, table string, ws []write, before []itemInfo, applied bool, unprocessed map[string]bool) {
	afters := make([]itemInfo, len(ws))
	for i, w := range ws {
		switch {
		case !applied || unprocessed[w.key]:
			afters[i] = before[i]
			if w.put != nil {
				afters[i].size = max(before[i].size, itemSize(w.put)) // billed on the larger
			}
		case w.put != nil:
			afters[i] = itemInfo{size: itemSize(w.put), index: indexKey(w.put)}
		case w.del:
			afters[i] = itemInfo{}
		case w.keyA != nil:
			key := map[string]types.AttributeValue{}
			for k, v := range w.keyA {
				s, _ := v.(map[string]any)["S"].(string)
				key[k] = &types.AttributeValueMemberS{Value: s}
			}
			out, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
			if err == nil && out.Item != nil {
				afters[i] = itemInfo{size: sdkItemSize(out.Item)}
				if v, ok := out.Item["gsi1pk"].(*types.AttributeValueMemberS); ok {
					sk, _ := out.Item["gsi1sk"].(*types.AttributeValueMemberS)
					afters[i].index = v.Value + "\x00" + sk.Value
				}
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, w := range ws {
		bf, af := before[i], afters[i]
		b.itemWrites++
		u := units(max(bf.size, af.size), 1024)
		if w.tx {
			u *= 2
		}
		b.wcu += u
		// The index: an entry put, deleted, moved or rewritten (a write that changed
		// nothing, or was refused, leaves it alone).
		changed := applied && !unprocessed[w.key] && (bf != af || w.put != nil)
		switch {
		case !changed:
		case bf.index != af.index:
			if bf.index != "" {
				b.indexWCU += units(bf.size, 1024)
			}
			if af.index != "" {
				b.indexWCU += units(af.size, 1024)
			}
		case af.index != "":
			b.indexWCU += units(max(bf.size, af.size), 1024)
		}
		if applied && !unprocessed[w.key] {
			if af.size == 0 {
				delete(b.items, w.key)
			} else {
				b.items[w.key] = af
			}
		}
	}
}

// read bills a read request from the items its answer names (their stored sizes).
func (b *billing) read(action string, req, resp []byte) {
	var in, out map[string]any
	if json.Unmarshal(req, &in) != nil || json.Unmarshal(resp, &out) != nil {
		return
	}
	consistent, _ := in["ConsistentRead"].(bool)
	factor := 0.5
	if consistent {
		factor = 1
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	size := func(item map[string]any) int {
		if info, ok := b.items[keyOf(item)]; ok {
			return info.size
		}
		return itemSize(item)
	}
	switch action {
	case "GetItem":
		item, _ := out["Item"].(map[string]any)
		b.rru += factor * float64(units(size(item), 4096))
	case "Query", "Scan":
		items, _ := out["Items"].([]any)
		total := 0
		for _, it := range items {
			total += size(it.(map[string]any))
		}
		b.rru += factor * float64(units(total, 4096))
	case "BatchGetItem":
		resps, _ := out["Responses"].(map[string]any)
		for _, list := range resps {
			items, _ := list.([]any)
			for _, it := range items {
				// BatchGetItem reads as GetItem does, item by item.
				b.rru += factor * float64(units(size(it.(map[string]any)), 4096))
			}
		}
	}
}

// --- item-size ---------------------------------------------------------------------------
//
// DynamoDB's item size: the sum over attributes of the name's UTF-8 length and the
// value's size. Strings: UTF-8 length; binary: byte length; numbers: one byte per two
// significant digits plus one; booleans and null: one byte; lists and maps: three bytes
// plus one per element plus the elements (map keys count as names); sets: the elements.

func itemSize(item map[string]any) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v any) int {
	m, _ := v.(map[string]any)
	for t, x := range m {
		switch t {
		case "S":
			s, _ := x.(string)
			return len(s)
		case "N":
			s, _ := x.(string)
			return numberSize(s)
		case "B":
			s, _ := x.(string)
			b, _ := base64.StdEncoding.DecodeString(s)
			return len(b)
		case "BOOL", "NULL":
			return 1
		case "SS", "NS", "BS":
			list, _ := x.([]any)
			n := 0
			for _, e := range list {
				s, _ := e.(string)
				switch t {
				case "SS":
					n += len(s)
				case "NS":
					n += numberSize(s)
				default:
					b, _ := base64.StdEncoding.DecodeString(s)
					n += len(b)
				}
			}
			return n
		case "L":
			list, _ := x.([]any)
			n := 3
			for _, e := range list {
				n += 1 + valueSize(e)
			}
			return n
		case "M":
			mm, _ := x.(map[string]any)
			n := 3
			for k, e := range mm {
				n += 1 + len(k) + valueSize(e)
			}
			return n
		}
	}
	return 0
}

func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	s = strings.Replace(s, ".", "", 1)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.Trim(s, "0")
	return int(math.Ceil(float64(max(len(s), 1))/2)) + 1
}

func sdkItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + sdkValueSize(v)
	}
	return n
}

// sum adds up size over a set's members.
func sum[T any](set []T, size func(T) int) int {
	n := 0
	for _, v := range set {
		n += size(v)
	}
	return n
}

func sdkValueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return numberSize(x.Value)
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		return sum(x.Value, func(s string) int { return len(s) })
	case *types.AttributeValueMemberNS:
		return sum(x.Value, numberSize)
	case *types.AttributeValueMemberBS:
		return sum(x.Value, func(b []byte) int { return len(b) })
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + sdkValueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += 1 + len(k) + sdkValueSize(e)
		}
		return n
	}
	return 0
}
