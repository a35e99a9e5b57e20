package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/state"
)

// objectItem and imageItem share the transition attributes st, run, sz, att and ver.
type objectItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"` // the object key
	Size         int64  `dynamodbav:"sz"`
	ETag         string `dynamodbav:"etag"`
	Checksum     string `dynamodbav:"ck"`
	LastModified int64  `dynamodbav:"lm"`
	Status       string `dynamodbav:"st"`
	Attempts     int    `dynamodbav:"att"`
	Error        string `dynamodbav:"err"`
	DestETag     string `dynamodbav:"detag"`
	UploadID     string `dynamodbav:"uid"`
	PartsTotal   int    `dynamodbav:"pt"`
	PartsDone    int    `dynamodbav:"pd"`
	Run          string `dynamodbav:"run"`
	Updated      int64  `dynamodbav:"upd"`
	Ver          int64  `dynamodbav:"ver"`
	GSI1PK       string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK       string `dynamodbav:"gsi1sk,omitempty"`
}

func (it objectItem) object() state.Object {
	return state.Object{Key: it.SK, Size: it.Size, ETag: it.ETag, Checksum: it.Checksum,
		LastModified: fromNanos(it.LastModified), Status: state.ItemStatus(it.Status), Attempts: it.Attempts,
		Error: it.Error, DestETag: it.DestETag, UploadID: it.UploadID, PartsTotal: it.PartsTotal,
		PartsDone: it.PartsDone, RunID: it.Run, UpdatedAt: fromNanos(it.Updated)}
}

type imageItem struct {
	PK          string   `dynamodbav:"pk"`
	SK          string   `dynamodbav:"sk"` // the source reference
	Destination string   `dynamodbav:"dst"`
	Repository  string   `dynamodbav:"repo"`
	Tag         string   `dynamodbav:"tag"`
	Digest      string   `dynamodbav:"digest"`
	Platforms   []string `dynamodbav:"platforms,omitempty"`
	Bytes       int64    `dynamodbav:"sz"`
	Status      string   `dynamodbav:"st"`
	Attempts    int      `dynamodbav:"att"`
	Error       string   `dynamodbav:"err"`
	Duration    int64    `dynamodbav:"dur"`
	Run         string   `dynamodbav:"run"`
	Updated     int64    `dynamodbav:"upd"`
	Ver         int64    `dynamodbav:"ver"`
	GSI1PK      string   `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK      string   `dynamodbav:"gsi1sk,omitempty"`
}

func (it imageItem) image() state.Image {
	return state.Image{Source: it.SK, Destination: it.Destination, Repository: it.Repository, Tag: it.Tag,
		Digest: it.Digest, Platforms: it.Platforms, Bytes: it.Bytes, Status: state.ItemStatus(it.Status),
		Attempts: it.Attempts, Error: it.Error, Duration: time.Duration(it.Duration), RunID: it.Run,
		UpdatedAt: fromNanos(it.Updated)}
}

// record is one item to write through a transition.
type record struct {
	pk, sk   string
	status   state.ItemStatus
	runID    string // "" = the task's current run
	size     int64
	attempts int
	// build returns the full item given the resolved run, attempts and version.
	build func(run string, attempts int, ver int64) (map[string]types.AttributeValue, error)
}

type prior struct {
	exists   bool
	status   state.ItemStatus
	run      string
	size     int64
	attempts int
	ver      int64
}

// transition mirrors the SQLite store's: an item counts in a terminal bucket once per run.
func transition(p prior, run string, status state.ItemStatus, size int64) state.Counters {
	var d state.Counters
	if p.exists && p.run == run && p.status.Terminal() {
		if p.status == status {
			return d
		}
		bucket(&d, p.status, -1, -p.size)
	}
	if status.Terminal() {
		bucket(&d, status, 1, size)
	}
	return d
}

func bucket(d *state.Counters, s state.ItemStatus, n, bytes int64) {
	switch s {
	case state.ItemDone:
		d.DoneObjects += n
		d.DoneBytes += bytes
	case state.ItemSkipped:
		d.SkippedObjects += n
		d.SkippedBytes += bytes
	case state.ItemFailed:
		d.FailedObjects += n
		d.FailedBytes += bytes
	}
}

// putRecords writes recs with their transitions, 99 per transaction, retrying a batch
// whose prior state changed under it.
func (s *Store) putRecords(ctx context.Context, taskID string, recs []record) error {
	// Keep the last write per item: a transaction may touch an item only once.
	seen := map[[2]string]int{}
	var uniq []record
	for _, r := range recs {
		if r.status == "" {
			return fmt.Errorf("put %q of task %s: empty status", r.sk, taskID)
		}
		k := [2]string{r.pk, r.sk}
		if i, ok := seen[k]; ok {
			uniq[i] = r
			continue
		}
		seen[k] = len(uniq)
		uniq = append(uniq, r)
	}
	for start := 0; start < len(uniq); start += txItems {
		chunk := uniq[start:min(start+txItems, len(uniq))]
		var err error
		for attempt := 0; ; attempt++ {
			var retry bool
			retry, err = s.putChunk(ctx, taskID, chunk)
			if !retry || attempt == maxTxRetries {
				break
			}
			if err := wait.Sleep(ctx, backoff(attempt)); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// putChunk makes one attempt; retry reports a lost optimistic race worth retrying.
func (s *Store) putChunk(ctx context.Context, taskID string, recs []record) (retry bool, err error) {
	task, err := s.GetTask(ctx, taskID)
	if err != nil {
		return false, fmt.Errorf("put records: %w", err)
	}
	priors, err := s.readPriors(ctx, recs)
	if err != nil {
		return false, fmt.Errorf("put records of task %s: %w", taskID, err)
	}
	var (
		actions []types.TransactWriteItem
		total   state.Counters
		now     = nanos(time.Now())
	)
	for i, r := range recs {
		run := r.runID
		if run == "" {
			run = task.RunID
		}
		p := priors[i]
		if p.exists && p.run > run {
			continue // a late write from an older run never overwrites a newer run's record
		}
		if run == task.RunID {
			total.Add(transition(p, task.RunID, r.status, r.size))
		}
		attempts := r.attempts
		if attempts == 0 && p.exists && p.run == run {
			attempts = p.attempts
		}
		item, err := r.build(run, attempts, p.ver+1)
		if err != nil {
			return false, fmt.Errorf("encode %q of task %s: %w", r.sk, taskID, err)
		}
		item["upd"] = num(now)
		put := &types.Put{TableName: &s.table, Item: item}
		if p.exists {
			put.ConditionExpression = aws.String("#ver = :ver")
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":ver": num(p.ver)}
		} else {
			put.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		}
		actions = append(actions, types.TransactWriteItem{Put: put})
	}
	if len(actions) == 0 {
		return false, nil
	}
	if !total.IsZero() {
		update, values := counterUpdate(total)
		values[":run"] = str(task.RunID)
		actions = append(actions, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: anyCounterKey(taskID),
			UpdateExpression: aws.String(update), ConditionExpression: expr("#run = :run"),
			ExpressionAttributeValues: values}})
	}
	_, err = s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: actions})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, reason := range tce.CancellationReasons {
			switch aws.ToString(reason.Code) {
			case "", "None", "ConditionalCheckFailed", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded":
			default:
				return false, fmt.Errorf("write %d records of task %s: %s: %s", len(actions), taskID,
					aws.ToString(reason.Code), aws.ToString(reason.Message))
			}
		}
		return true, fmt.Errorf("write %d records of task %s: lost to concurrent writers: %w", len(actions), taskID, err)
	}
	if err != nil {
		return false, fmt.Errorf("write %d records of task %s: %w", len(actions), taskID, err)
	}
	return false, nil
}

// readPriors reads the transition attributes of recs' current items (consistent reads).
func (s *Store) readPriors(ctx context.Context, recs []record) ([]prior, error) {
	out := make([]prior, len(recs))
	index := map[[2]string]int{}
	var keys []map[string]types.AttributeValue
	for i, r := range recs {
		index[[2]string{r.pk, r.sk}] = i
		keys = append(keys, keyOf(r.pk, r.sk))
	}
	for start := 0; start < len(keys); start += 100 {
		pending := keys[start:min(start+100, len(keys))]
		for attempt := 0; len(pending) > 0; attempt++ {
			res, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				s.table: {Keys: pending, ConsistentRead: aws.Bool(true),
					ProjectionExpression: expr("#pk, #sk, #st, #run, #sz, #att, #ver")}}})
			if err != nil {
				return nil, fmt.Errorf("read current records: %w", err)
			}
			for _, item := range res.Responses[s.table] {
				var it struct {
					PK  string `dynamodbav:"pk"`
					SK  string `dynamodbav:"sk"`
					St  string `dynamodbav:"st"`
					Run string `dynamodbav:"run"`
					Sz  int64  `dynamodbav:"sz"`
					Att int    `dynamodbav:"att"`
					Ver int64  `dynamodbav:"ver"`
				}
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
					return nil, fmt.Errorf("decode record: %w", err)
				}
				if i, ok := index[[2]string{it.PK, it.SK}]; ok {
					out[i] = prior{exists: true, status: state.ItemStatus(it.St), run: it.Run, size: it.Sz, attempts: it.Att, ver: it.Ver}
				}
			}
			pending = res.UnprocessedKeys[s.table].Keys
			if len(pending) > 0 {
				if err := wait.Sleep(ctx, backoff(attempt)); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// PutObjects implements state.Store.
func (s *Store) PutObjects(ctx context.Context, taskID string, objs []state.Object) error {
	recs := make([]record, len(objs))
	for i, o := range objs {
		recs[i] = record{pk: objectPK(taskID, shardOf(o.Key)), sk: o.Key, status: o.Status, runID: o.RunID,
			size: o.Size, attempts: o.Attempts,
			build: func(run string, attempts int, ver int64) (map[string]types.AttributeValue, error) {
				it := objectItem{PK: objectPK(taskID, shardOf(o.Key)), SK: o.Key, Size: o.Size, ETag: o.ETag,
					Checksum: o.Checksum, LastModified: nanos(o.LastModified), Status: string(o.Status),
					Attempts: attempts, Error: o.Error, DestETag: o.DestETag, UploadID: o.UploadID,
					PartsTotal: o.PartsTotal, PartsDone: o.PartsDone, Run: run, Ver: ver}
				if sparse(o.Status) {
					it.GSI1PK, it.GSI1SK = "OS#"+taskID+"#"+string(o.Status), o.Key
				}
				return attributevalue.MarshalMap(it)
			}}
	}
	return s.putRecords(ctx, taskID, recs)
}

// GetObject implements state.Store.
func (s *Store) GetObject(ctx context.Context, taskID, key string) (state.Object, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table,
		Key: keyOf(objectPK(taskID, shardOf(key)), key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return state.Object{}, fmt.Errorf("get object %q of task %s: %w", key, taskID, err)
	}
	if out.Item == nil {
		return state.Object{}, fmt.Errorf("get object %q of task %s: %w", key, taskID, state.ErrNotFound)
	}
	var it objectItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return state.Object{}, fmt.Errorf("decode object %q: %w", key, err)
	}
	return it.object(), nil
}

// rangeQuery returns a Query over partition pk (or the status index when index is set)
// for sort keys after opt.After within opt.Prefix.
func (s *Store) rangeQuery(pk, index string, opt state.ListOptions) *dynamodb.QueryInput {
	pkName, skName := "pk", "sk"
	if index != "" {
		pkName, skName = "gsi1pk", "gsi1sk"
	}
	lo := opt.Prefix
	if opt.After != "" && opt.After >= lo {
		lo = opt.After + "\x00" // the smallest key after the cursor
	}
	in := &dynamodb.QueryInput{TableName: &s.table, ExpressionAttributeNames: map[string]string{"#pk": pkName},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}}
	if index != "" {
		in.IndexName = aws.String(index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	switch {
	case lo == "":
		in.KeyConditionExpression = expr("#pk = :pk")
	default:
		in.KeyConditionExpression = expr("#pk = :pk AND #sk >= :lo")
		in.ExpressionAttributeNames["#sk"] = skName
		in.ExpressionAttributeValues[":lo"] = str(lo)
	}
	return in
}

// cursor pulls one partition's items in sort-key order, page by page.
type cursor struct {
	s     *Store
	in    *dynamodb.QueryInput
	buf   []map[string]types.AttributeValue
	done  bool
	limit int32
}

func (c *cursor) peek(ctx context.Context) (map[string]types.AttributeValue, error) {
	for len(c.buf) == 0 && !c.done {
		c.in.Limit = aws.Int32(c.limit)
		out, err := c.s.api.Query(ctx, c.in)
		if err != nil {
			return nil, err
		}
		c.buf = out.Items
		c.in.ExclusiveStartKey = out.LastEvaluatedKey
		c.done = len(out.LastEvaluatedKey) == 0
	}
	if len(c.buf) == 0 {
		return nil, nil
	}
	return c.buf[0], nil
}

func skOf(item map[string]types.AttributeValue) string {
	if v, ok := item["sk"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// mergePage merges partitions in sort-key order into one page of at most limit items
// (plus whether more exist), keeping only keys inside prefix and matching keep.
func mergePage(ctx context.Context, cursors []*cursor, prefix string, skip, limit int,
	keep func(map[string]types.AttributeValue) bool) ([]map[string]types.AttributeValue, bool, error) {
	var out []map[string]types.AttributeValue
	for {
		best := -1
		var bestKey string
		for i, c := range cursors {
			item, err := c.peek(ctx)
			if err != nil {
				return nil, false, err
			}
			if item == nil {
				continue
			}
			if k := skOf(item); best < 0 || k < bestKey {
				best, bestKey = i, k
			}
		}
		// Keys come in order from the prefix on: the first one without it ends the range.
		if best < 0 || !strings.HasPrefix(bestKey, prefix) {
			return out, false, nil
		}
		item := cursors[best].buf[0]
		cursors[best].buf = cursors[best].buf[1:]
		if keep != nil && !keep(item) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, item)
	}
}

// listItems pages through items: FAILED/IN_PROGRESS/PENDING from the sparse index,
// everything else by merging the base-table partitions.
func (s *Store) listItems(ctx context.Context, pks []string, indexPK string, opt state.ListOptions) ([]map[string]types.AttributeValue, bool, error) {
	limit := opt.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	var cursors []*cursor
	var keep func(map[string]types.AttributeValue) bool
	if opt.Status != "" && sparse(opt.Status) {
		cursors = []*cursor{{s: s, in: s.rangeQuery(indexPK+string(opt.Status), statusIndex, opt), limit: int32(limit + 1)}}
	} else {
		for _, pk := range pks {
			cursors = append(cursors, &cursor{s: s, in: s.rangeQuery(pk, "", opt), limit: int32(limit + 1)})
		}
		if opt.Status != "" {
			want := string(opt.Status)
			keep = func(item map[string]types.AttributeValue) bool {
				v, ok := item["st"].(*types.AttributeValueMemberS)
				return ok && v.Value == want
			}
		}
	}
	return mergePage(ctx, cursors, opt.Prefix, max(opt.Offset, 0), limit, keep)
}

func objectPKs(taskID string) []string {
	pks := make([]string, shards)
	for i := range pks {
		pks[i] = objectPK(taskID, i)
	}
	return pks
}

// ListObjects implements state.Store.
func (s *Store) ListObjects(ctx context.Context, taskID string, opt state.ListOptions) (state.Page[state.Object], error) {
	var page state.Page[state.Object]
	items, more, err := s.listItems(ctx, objectPKs(taskID), "OS#"+taskID+"#", opt)
	if err != nil {
		return page, fmt.Errorf("list objects of task %s: %w", taskID, err)
	}
	for _, item := range items {
		var it objectItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return page, fmt.Errorf("decode object: %w", err)
		}
		page.Items = append(page.Items, it.object())
	}
	if more && len(page.Items) > 0 {
		page.Next = page.Items[len(page.Items)-1].Key
	}
	return page, nil
}

// CountObjects implements state.Store. It reads every record of the task (projected to
// its status): meant for reports, not for polling; live progress comes from the counters.
func (s *Store) CountObjects(ctx context.Context, taskID string) (map[state.ItemStatus]int64, error) {
	out := map[state.ItemStatus]int64{}
	for _, pk := range objectPKs(taskID) {
		p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{TableName: &s.table,
			KeyConditionExpression: expr("#pk = :pk"), ProjectionExpression: expr("#st"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("count objects of task %s: %w", taskID, err)
			}
			for _, item := range page.Items {
				if v, ok := item["st"].(*types.AttributeValueMemberS); ok {
					out[state.ItemStatus(v.Value)]++
				}
			}
		}
	}
	return out, nil
}

// Parts live in partition P#<task>, sorted by upload id and part number; each upload has
// a counter item (sk = the upload id) that the part's transaction increments once.
func partSK(uploadID string, n int) string { return fmt.Sprintf("%s#%05d", uploadID, n) }

// PutPart implements state.Store.
func (s *Store) PutPart(ctx context.Context, taskID, key string, p state.Part) (int, error) {
	pk := "P#" + taskID
	item := keyOf(pk, partSK(p.UploadID, p.Number))
	item["key"], item["uid"], item["n"] = str(key), str(p.UploadID), num(int64(p.Number))
	item["sz"], item["etag"], item["ck"] = num(p.Size), str(p.ETag), str(p.Checksum)
	_, err := s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: expr("attribute_not_exists(#pk)")}},
		{Update: &types.Update{TableName: &s.table, Key: keyOf(pk, p.UploadID),
			UpdateExpression:          expr("ADD #done :one SET #key = :key"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num(1), ":key": str(key)}}},
	}})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		err = nil // a duplicate part: already counted
	}
	if err != nil {
		return 0, fmt.Errorf("put part %d of %q: %w", p.Number, key, err)
	}
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf(pk, p.UploadID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("read part count of %q: %w", key, err)
	}
	var c struct {
		Done int `dynamodbav:"done"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &c); err != nil {
		return 0, fmt.Errorf("decode part count of %q: %w", key, err)
	}
	return c.Done, nil
}

// ListParts implements state.Store, in part-number order.
func (s *Store) ListParts(ctx context.Context, taskID, key, uploadID string) ([]state.Part, error) {
	var out []state.Part
	p := dynamodb.NewQueryPaginator(s.api, &dynamodb.QueryInput{TableName: &s.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    expr("#pk = :pk AND begins_with(#sk, :u)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("P#" + taskID), ":u": str(uploadID + "#")}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list parts of %q: %w", key, err)
		}
		for _, item := range page.Items {
			var it struct {
				Key  string `dynamodbav:"key"`
				UID  string `dynamodbav:"uid"`
				N    int    `dynamodbav:"n"`
				Sz   int64  `dynamodbav:"sz"`
				ETag string `dynamodbav:"etag"`
				Ck   string `dynamodbav:"ck"`
			}
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, fmt.Errorf("decode part of %q: %w", key, err)
			}
			if it.Key != key {
				continue
			}
			out = append(out, state.Part{UploadID: it.UID, Number: it.N, Size: it.Sz, ETag: it.ETag, Checksum: it.Ck})
		}
	}
	return out, nil
}

// DeleteParts implements state.Store: the parts and the upload's counter.
func (s *Store) DeleteParts(ctx context.Context, taskID, key, uploadID string) error {
	if err := s.deletePartition(ctx, "P#"+taskID, uploadID+"#"); err != nil {
		return fmt.Errorf("delete parts of %q: %w", key, err)
	}
	if _, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: keyOf("P#"+taskID, uploadID)}); err != nil {
		return fmt.Errorf("delete part count of %q: %w", key, err)
	}
	return nil
}

// PutImages implements state.Store.
func (s *Store) PutImages(ctx context.Context, taskID string, imgs []state.Image) error {
	recs := make([]record, len(imgs))
	for i, im := range imgs {
		recs[i] = record{pk: "I#" + taskID, sk: im.Source, status: im.Status, runID: im.RunID, size: im.Bytes,
			attempts: im.Attempts,
			build: func(run string, attempts int, ver int64) (map[string]types.AttributeValue, error) {
				it := imageItem{PK: "I#" + taskID, SK: im.Source, Destination: im.Destination, Repository: im.Repository,
					Tag: im.Tag, Digest: im.Digest, Platforms: im.Platforms, Bytes: im.Bytes, Status: string(im.Status),
					Attempts: attempts, Error: im.Error, Duration: int64(im.Duration), Run: run, Ver: ver}
				if sparse(im.Status) {
					it.GSI1PK, it.GSI1SK = "IS#"+taskID+"#"+string(im.Status), im.Source
				}
				return attributevalue.MarshalMap(it)
			}}
	}
	return s.putRecords(ctx, taskID, recs)
}

// GetImage implements state.Store.
func (s *Store) GetImage(ctx context.Context, taskID, source string) (state.Image, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf("I#"+taskID, source), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return state.Image{}, fmt.Errorf("get image %q of task %s: %w", source, taskID, err)
	}
	if out.Item == nil {
		return state.Image{}, fmt.Errorf("get image %q of task %s: %w", source, taskID, state.ErrNotFound)
	}
	var it imageItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return state.Image{}, fmt.Errorf("decode image %q: %w", source, err)
	}
	return it.image(), nil
}

// ListImages implements state.Store.
func (s *Store) ListImages(ctx context.Context, taskID string, opt state.ListOptions) (state.Page[state.Image], error) {
	var page state.Page[state.Image]
	items, more, err := s.listItems(ctx, []string{"I#" + taskID}, "IS#"+taskID+"#", opt)
	if err != nil {
		return page, fmt.Errorf("list images of task %s: %w", taskID, err)
	}
	for _, item := range items {
		var it imageItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return page, fmt.Errorf("decode image: %w", err)
		}
		page.Items = append(page.Items, it.image())
	}
	if more && len(page.Items) > 0 {
		page.Next = page.Items[len(page.Items)-1].Source
	}
	return page, nil
}
