package dynamostore

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/state"
)

// Reads of object records: the runs' layers of job items merged in key order (see
// jobs.go).

// runList is the runs of a task that have job items, newest first, as read while cur
// was the task's current run (earlier runs get no new items, so it holds until the
// current run changes).
type runList struct {
	cur  string
	runs []string
}

// KnownRun returns ctx telling the reads of task's object records (ListObjects,
// GetObject, CountObjects) that the task's current run is run, as the caller read it
// from the task's record: they then do not read the record for it (a GetItem each).
// Meant for a run that has finished, read moments ago: the caller answers for it
// (a new run makes the record's run change). Writes always read the record.
func KnownRun(ctx context.Context, task, run string) context.Context {
	return context.WithValue(ctx, knownRunKey{}, knownRun{task: task, run: run})
}

type knownRunKey struct{}

type knownRun struct{ task, run string }

// readLayers is layers for reads: the current run as the caller knows it (KnownRun),
// else read.
func (s *Store) readLayers(ctx context.Context, task string) (cur string, runs []string, err error) {
	if k, ok := ctx.Value(knownRunKey{}).(knownRun); ok && k.task == task {
		return s.layersOf(ctx, task, k.run)
	}
	return s.layers(ctx, task)
}

// layers returns the task's current run and the runs to read, newest first (the current
// run always first).
func (s *Store) layers(ctx context.Context, task string) (cur string, runs []string, err error) {
	cur, err = s.currentRun(ctx, task)
	if err != nil {
		return "", nil, err
	}
	return s.layersOf(ctx, task, cur)
}

// layersOf returns the runs to read while cur is the current run.
func (s *Store) layersOf(ctx context.Context, task, cur string) (string, []string, error) {
	s.mu.Lock()
	cached, ok := s.runs[task]
	s.mu.Unlock()
	if !ok || cached.cur != cur {
		cached = runList{cur: cur}
		hi := "\U0010FFFF"
		for {
			out, err := s.api.Query(ctx, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
				ScanIndexForward: aws.Bool(false), Limit: aws.Int32(1), ProjectionExpression: expr("#pk, #sk"),
				KeyConditionExpression:    expr("#pk = :pk AND #sk < :hi"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(jobPK(task)), ":hi": str(hi)}})
			if err != nil {
				return "", nil, fmt.Errorf("list runs: %w", err)
			}
			if len(out.Items) == 0 {
				break
			}
			r := runOfSK(skOf(out.Items[0]))
			cached.runs = append(cached.runs, r)
			hi = r // every sort key of run r is above r itself
		}
		s.mu.Lock()
		s.runs[task] = cached
		s.mu.Unlock()
	}
	runs := cached.runs
	if cur != "" && (len(runs) == 0 || runs[0] != cur) {
		runs = append([]string{cur}, runs...)
	}
	return cur, runs, nil
}

// GetObject implements state.Store: the key's record in the newest run that holds it
// (an earlier run's object left in flight is no record).
func (s *Store) GetObject(ctx context.Context, taskID, key string) (state.Object, error) {
	cur, runs, err := s.readLayers(ctx, taskID)
	if errors.Is(err, state.ErrNotFound) {
		return state.Object{}, fmt.Errorf("get object %q of task %s: %w", key, taskID, state.ErrNotFound)
	}
	if err != nil {
		return state.Object{}, fmt.Errorf("get object %q of task %s: %w", key, taskID, err)
	}
	var queued *state.Object
	for _, r := range runs {
		h, err := s.home(ctx, taskID, r, key)
		if err != nil {
			return state.Object{}, fmt.Errorf("get object %q of task %s: %w", key, taskID, err)
		}
		if h == nil {
			continue
		}
		e := h.entries[h.find(key)]
		switch visible(e, r, cur, queued != nil) {
		case show:
			return e.object(r), nil
		case showUnlessInProgress:
			o := e.object(r)
			queued = &o
		case showQueued:
			return *queued, nil
		}
	}
	if queued != nil {
		return *queued, nil
	}
	return state.Object{}, fmt.Errorf("get object %q of task %s: %w", key, taskID, state.ErrNotFound)
}

// A record's visibility, newest run first (see jobs.go): a PENDING entry is a record only
// in the current run, and there it gives way to an earlier run's IN_PROGRESS record (an
// upload under way, which the old per-object store showed until the object was worked on).
type visibility int

const (
	hide visibility = iota
	show
	showUnlessInProgress // a queued record: an earlier run's IN_PROGRESS record wins
	showQueued           // an earlier outcome, older than the queued record: that stands
)

// visible decides entry e of run r while cur is the current run; queued reports that a
// newer run's queued record was met.
func visible(e entry, r, cur string, queued bool) visibility {
	switch {
	case e.Status == state.ItemPending && r != cur:
		return hide
	case e.Status == state.ItemPending:
		return showUnlessInProgress
	case queued && e.Status != state.ItemInProgress:
		return showQueued
	}
	return show
}

// ListObjects implements state.Store, in global key order: FAILED from the sparse
// index, IN_PROGRESS and PENDING from the current run's open items, everything else by
// merging the runs' layers.
func (s *Store) ListObjects(ctx context.Context, taskID string, opt state.ListOptions) (state.Page[state.Object], error) {
	if opt.Status == state.ItemFailed {
		return listPage(ctx, s, nil, "OS#"+taskID+"#", "object", taskID, opt, objectItem.object,
			func(o state.Object) string { return o.Key })
	}
	var page state.Page[state.Object]
	cur, runs, err := s.readLayers(ctx, taskID)
	if errors.Is(err, state.ErrNotFound) {
		return page, nil
	}
	if err != nil {
		return page, fmt.Errorf("list objects of task %s: %w", taskID, err)
	}
	limit := opt.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	lo, excl := opt.Prefix, false
	if opt.After != "" && opt.After >= lo {
		lo, excl = opt.After, true
	}
	var cursors []*layerCursor
	if opt.Status == state.ItemInProgress || opt.Status == state.ItemPending {
		if cur != "" {
			cursors = append(cursors, s.newLayer(taskID, cur, lo, excl, true, 3))
		}
	} else {
		for _, r := range runs {
			cursors = append(cursors, s.newLayer(taskID, r, lo, excl, false, 3))
		}
	}
	skip := max(opt.Offset, 0)
	var whole *int // skipped items are dropped by their counts, unread
	if !s.decodeSkipped {
		whole = &skip
	}
	err = mergeLayers(ctx, cursors, cur, opt.Prefix, opt.Status, whole, func(o state.Object) (bool, error) {
		if opt.Status != "" && o.Status != opt.Status {
			return true, nil
		}
		if skip > 0 {
			skip--
			return true, nil
		}
		if len(page.Items) == limit {
			page.Next = page.Items[limit-1].Key
			return false, nil
		}
		page.Items = append(page.Items, o)
		return true, nil
	})
	if err != nil {
		return state.Page[state.Object]{}, fmt.Errorf("list objects of task %s: %w", taskID, err)
	}
	return page, nil
}

// CountObjects implements state.Store. It reads every record of the task: meant for
// reports, not for polling; live progress comes from the counters.
func (s *Store) CountObjects(ctx context.Context, taskID string) (map[state.ItemStatus]int64, error) {
	out := map[state.ItemStatus]int64{}
	cur, runs, err := s.readLayers(ctx, taskID)
	if errors.Is(err, state.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("count objects of task %s: %w", taskID, err)
	}
	var cursors []*layerCursor
	for _, r := range runs {
		cursors = append(cursors, s.newLayer(taskID, r, "", false, false, 0))
	}
	err = mergeLayers(ctx, cursors, cur, "", "", nil, func(o state.Object) (bool, error) {
		out[o.Status]++
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("count objects of task %s: %w", taskID, err)
	}
	return out, nil
}

// mergeLayers calls fn with each key's record (the newest run's that is a record) in key
// order, from the cursors' start while keys are in prefix, until fn returns false.
// With skip set (fn counts each record of status, or every record when status is "",
// against *skip first, and passes over the others), whole items that fn would only count
// or pass over are dropped unread, *skip lessened by their stored counts.
func mergeLayers(ctx context.Context, cursors []*layerCursor, cur, prefix string, status state.ItemStatus, skip *int,
	fn func(state.Object) (bool, error)) error {
	for {
		if skip != nil && *skip > 0 {
			if err := skipWhole(ctx, cursors, cur, prefix, status, skip); err != nil {
				return err
			}
		}
		var min string
		found := false
		for _, c := range cursors {
			e, err := c.peek(ctx)
			if err != nil {
				return err
			}
			if e != nil && (!found || e.Key < min) {
				min, found = e.Key, true
			}
		}
		if !found || !strings.HasPrefix(min, prefix) {
			return nil
		}
		var pick, queued *state.Object
		for _, c := range cursors { // newest run first
			e, _ := c.peek(ctx)
			if e == nil || e.Key != min {
				continue
			}
			if pick == nil {
				switch visible(*e, c.run, cur, queued != nil) {
				case show:
					o := e.object(c.run)
					pick = &o
				case showUnlessInProgress:
					o := e.object(c.run)
					queued = &o
				case showQueued:
					pick = queued
				}
			}
			c.pop()
		}
		if pick == nil {
			pick = queued
		}
		if pick == nil {
			continue
		}
		more, err := fn(*pick)
		if err != nil || !more {
			return err
		}
	}
}

// skipWhole drops whole job items, unread, from a layer that has none loaded, while
// each item's records all come before every other layer's next record (so each of its
// entries is its key's only record): at most *skip records of status ("" = all),
// *skip lessened by what was dropped. An item's stored counts (n, and sc per status)
// say how many of its entries a filter shows, and within its run an entry is its key's
// home unless a later item holds the key: an item is dropped only when the layer's next
// item and next single start past its last key. An earlier run's PENDING entry is no
// record. Items written before sc was stored are read where n does not tell.
func skipWhole(ctx context.Context, cursors []*layerCursor, cur, prefix string, status state.ItemStatus, skip *int) error {
	for i, c := range cursors {
		if c.init && len(c.loaded) > 0 {
			continue
		}
		// The other layers' next records (read, at most one item each, as the merge
		// would).
		var below string
		bounded := false
		for j, o := range cursors {
			if j == i {
				continue
			}
			e, err := o.peek(ctx)
			if err != nil {
				return err
			}
			if e != nil && (!bounded || e.Key < below) {
				below, bounded = e.Key, true
			}
		}
		n, err := c.skipItems(ctx, *skip, prefix, status, c.run == cur, func(last string) bool { return !bounded || last < below })
		if err != nil {
			return err
		}
		*skip -= n
		if *skip == 0 {
			return nil
		}
	}
	return nil
}

// skipItems drops the layer's next items (batches; in the open layer, its items in
// flight), unread, while each holds at most budget records that a list filtered to
// status shows (jobItem.records), all in prefix and after lo, before the layer's next
// single and next item, and clear(its last key) holds; current says the layer is the
// current run's (its PENDING entries are records). It returns the records dropped. The
// items the stream has read are judged from their attributes, the rest with a query
// reading only their bounds and counts; the stream then goes on after the last one
// dropped.
func (c *layerCursor) skipItems(ctx context.Context, budget int, prefix string, status state.ItemStatus, current bool,
	clear func(last string) bool) (int, error) {
	if !c.init {
		if err := c.start(ctx); err != nil {
			return 0, err
		}
		if len(c.loaded) > 0 {
			return 0, nil
		}
	}
	items := c.streams[0]
	var sb string
	var sraw map[string]types.AttributeValue
	if !c.open { // the open layer's singles are in its one stream
		var err error
		if sb, sraw, err = c.streams[1].next(ctx, c.s.api); err != nil {
			return 0, fmt.Errorf("read jobs of run %s: %w", c.run, err)
		}
	}
	// The items the stream holds, then the rest of its query.
	buf := slices.Clone(items.buf)
	done := items.done
	var scan *dynamodb.QueryInput
	if !done {
		proj := "#pk, #sk, #l, #n, #o, #sc"
		if c.open {
			proj += ", #gsi1pk, #gsi1sk" // an index's start key holds the index's key too
		}
		q := *items.in
		q.ExpressionAttributeNames, q.ProjectionExpression, q.Limit = nil, expr(proj), aws.Int32(1000)
		scan = &q
	}
	// fill reads until two items are buffered (an item and the next one's bound) or the
	// scan ends.
	fill := func() error {
		for len(buf) < 2 && !done {
			out, err := c.s.api.Query(ctx, scan)
			if err != nil {
				return fmt.Errorf("read jobs of run %s: %w", c.run, err)
			}
			buf = append(buf, out.Items...)
			scan.ExclusiveStartKey = out.LastEvaluatedKey
			done = len(out.LastEvaluatedKey) == 0
		}
		return nil
	}
	dropped, n := 0, 0 // records dropped, items dropped
	var last map[string]types.AttributeValue
	for {
		if err := fill(); err != nil {
			return 0, err
		}
		if len(buf) == 0 {
			break
		}
		it, err := jobItemOf(buf[0])
		if err != nil {
			return 0, fmt.Errorf("decode job item: %w", err)
		}
		records, ok := it.records(status, current)
		first := firstBound(it.SK) // at or below the item's first key
		if !ok || records > budget-dropped || !isBatch(it.SK) || c.lo != "" && first <= c.lo || c.popped != "" && first <= c.popped ||
			!strings.HasPrefix(it.Last, prefix) || first < prefix || sraw != nil && sb <= it.Last ||
			len(buf) > 1 && firstBound(skOf(buf[1])) <= it.Last || !clear(it.Last) {
			break
		}
		dropped += records
		n++
		last = buf[0]
		buf = buf[1:]
	}
	switch {
	case n == 0:
	case n <= len(items.buf):
		items.buf = items.buf[n:]
	default:
		// The stream goes on after the last item dropped.
		key := map[string]types.AttributeValue{"pk": last["pk"], "sk": last["sk"]}
		if c.open {
			key["gsi1pk"], key["gsi1sk"] = last["gsi1pk"], last["gsi1sk"]
		}
		items.buf, items.done, items.in.ExclusiveStartKey = nil, false, key
	}
	return dropped, nil
}

// layerCursor reads one run's records in key order from lo: its batches and singles from
// the base table, or (open) its items holding objects in flight from the index.
type layerCursor struct {
	s       *Store
	task    string
	run     string
	lo      string
	excl    bool // keys > lo, else >= lo
	open    bool
	limit   int32 // items per query (0: as many as fit)
	init    bool
	streams []*stream // items in order of their first key, not yet loaded
	loaded  iterHeap
	popped  string // the last key read (a later item can hold a stale copy of it)
}

func (s *Store) newLayer(task, run, lo string, excl, open bool, limit int32) *layerCursor {
	return &layerCursor{s: s, task: task, run: run, lo: lo, excl: excl, open: open, limit: limit}
}

// stream pages through one Query of items in order of their first key.
type stream struct {
	in    *dynamodb.QueryInput
	buf   []map[string]types.AttributeValue
	done  bool
	limit int32
}

// next returns a lower bound of the next item's first key and the item (nil at the end).
func (st *stream) next(ctx context.Context, api API) (string, map[string]types.AttributeValue, error) {
	for len(st.buf) == 0 && !st.done {
		out, err := api.Query(ctx, st.in)
		if err != nil {
			return "", nil, err
		}
		st.buf = out.Items
		st.in.ExclusiveStartKey = out.LastEvaluatedKey
		st.done = len(out.LastEvaluatedKey) == 0
		if st.limit > 0 && st.limit < 32 {
			st.limit *= 2 // a page is read in a few queries; a count in few large ones
			st.in.Limit = aws.Int32(st.limit)
		}
	}
	if len(st.buf) == 0 {
		return "", nil, nil
	}
	raw := st.buf[0]
	if v, ok := raw["gsi1sk"].(*types.AttributeValueMemberS); ok && st.in.IndexName != nil {
		return v.Value, raw, nil
	}
	return firstBound(skOf(raw)), raw, nil
}

func (c *layerCursor) newStream(in *dynamodb.QueryInput) *stream {
	if c.limit > 0 {
		in.Limit = aws.Int32(c.limit)
	}
	return &stream{in: in, limit: c.limit}
}

// start sets the layer's streams up and loads the batches that span lo (their first key
// below it, their last at or above).
func (c *layerCursor) start(ctx context.Context) error {
	c.init = true
	var straddle *dynamodb.QueryInput
	if c.open {
		values := map[string]types.AttributeValue{":pk": str(openIndexPK(c.task, c.run))}
		in := &dynamodb.QueryInput{TableName: &c.s.table, IndexName: aws.String(statusIndex),
			KeyConditionExpression: expr("#gsi1pk = :pk"), ExpressionAttributeValues: values}
		if c.lo != "" { // key values cannot be empty: no bound then
			values[":b"] = str(truncKey(c.lo))
			in.KeyConditionExpression = expr("#gsi1pk = :pk AND #gsi1sk > :b")
			straddle = &dynamodb.QueryInput{TableName: &c.s.table, IndexName: aws.String(statusIndex), ScanIndexForward: aws.Bool(false),
				KeyConditionExpression:    expr("#gsi1pk = :pk AND #gsi1sk <= :b"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": values[":pk"], ":b": values[":b"]}}
		}
		c.streams = []*stream{c.newStream(in)}
	} else {
		pk := str(jobPK(c.task))
		b := skBound(c.run, c.lo)
		c.streams = []*stream{
			c.newStream(&dynamodb.QueryInput{TableName: &c.s.table, ConsistentRead: aws.Bool(true),
				KeyConditionExpression: expr("#pk = :pk AND #sk BETWEEN :b AND :end"),
				// The batch namespace ends where the singles' begins.
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": pk, ":b": str(b + "\x00"), ":end": str(c.run + singleSep)}}),
			c.newStream(&dynamodb.QueryInput{TableName: &c.s.table, ConsistentRead: aws.Bool(true),
				KeyConditionExpression: expr("#pk = :pk AND #sk BETWEEN :b AND :end"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": pk, ":b": str(c.run + singleSep + truncKey(c.lo)),
					":end": str(c.run + "%")}}), // '%' follows '$': past every single of the run
		}
		if c.lo != "" {
			straddle = &dynamodb.QueryInput{TableName: &c.s.table, ConsistentRead: aws.Bool(true), ScanIndexForward: aws.Bool(false),
				KeyConditionExpression:    expr("#pk = :pk AND #sk BETWEEN :r AND :b"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": pk, ":r": str(c.run + batchSep), ":b": str(b)}}
		}
	}
	if straddle == nil {
		return nil // nothing spans the start
	}
	if c.limit > 0 {
		straddle.Limit = aws.Int32(c.limit)
	}
	for {
		out, err := c.s.api.Query(ctx, straddle)
		if err != nil {
			return fmt.Errorf("read jobs of run %s: %w", c.run, err)
		}
		for _, raw := range out.Items {
			it, err := jobItemOf(raw)
			if err != nil {
				return fmt.Errorf("decode job item: %w", err)
			}
			if it.Last >= c.lo {
				if err := c.load(raw); err != nil {
					return err
				}
			}
			if isBatch(it.SK) && it.Reach < c.lo {
				return nil // no batch further down reaches lo (singles span nothing)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		straddle.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func isBatch(sk string) bool {
	i := strings.IndexAny(sk, batchSep+singleSep)
	return i >= 0 && sk[i:i+1] == batchSep
}

// load adds an item's entries from lo on.
func (c *layerCursor) load(raw map[string]types.AttributeValue) error {
	j, err := decodeJob(raw)
	if err != nil {
		return err
	}
	i := 0
	for i < len(j.entries) && (j.entries[i].Key < c.lo || c.excl && j.entries[i].Key == c.lo) {
		i++
	}
	if i < len(j.entries) {
		heap.Push(&c.loaded, &iter{entries: j.entries, pos: i, sk: j.item.SK})
	}
	return nil
}

// peek returns the layer's next record (nil at the end): the least loaded entry, once no
// unread item can start below it.
func (c *layerCursor) peek(ctx context.Context) (*entry, error) {
	if !c.init {
		if err := c.start(ctx); err != nil {
			return nil, err
		}
	}
	for {
		var next *stream
		var bound string
		for _, st := range c.streams {
			b, raw, err := st.next(ctx, c.s.api)
			if err != nil {
				return nil, fmt.Errorf("read jobs of run %s: %w", c.run, err)
			}
			if raw != nil && (next == nil || b < bound) {
				next, bound = st, b
			}
		}
		if len(c.loaded) > 0 && (next == nil || c.loaded[0].key() < bound) {
			return c.loaded[0].cur(), nil
		}
		if next == nil {
			return nil, nil
		}
		raw := next.buf[0]
		next.buf = next.buf[1:]
		if err := c.load(raw); err != nil {
			return nil, err
		}
	}
}

// pop drops the record peek returned, and the stale copies of its key in other items
// of the run (the home is the item of greatest sort key).
func (c *layerCursor) pop() {
	if len(c.loaded) == 0 {
		return
	}
	key := c.loaded[0].key()
	c.popped = key
	for len(c.loaded) > 0 && c.loaded[0].key() == key {
		it := c.loaded[0]
		it.pos++
		if it.pos == len(it.entries) {
			heap.Pop(&c.loaded)
		} else {
			heap.Fix(&c.loaded, 0)
		}
	}
}

// iter walks one item's entries.
type iter struct {
	entries []entry
	pos     int
	sk      string
}

func (it *iter) key() string { return it.entries[it.pos].Key }
func (it *iter) cur() *entry { return &it.entries[it.pos] }

// iterHeap orders items by their next key, then by sort key descending (the home first).
type iterHeap []*iter

func (h iterHeap) Len() int { return len(h) }
func (h iterHeap) Less(i, j int) bool {
	if a, b := h[i].key(), h[j].key(); a != b {
		return a < b
	}
	return h[i].sk > h[j].sk
}
func (h iterHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *iterHeap) Push(x any)   { *h = append(*h, x.(*iter)) }
func (h *iterHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
