package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/internal/wait"
	"transferhub/cloud/state"
)

// itemState is what objects and images share: the attributes a transition reads and
// writes (with sz, kept by each item type under its own name) and the sparse status index.
type itemState struct {
	Status   string `dynamodbav:"st"`
	Attempts int    `dynamodbav:"att"`
	Error    string `dynamodbav:"err"`
	Run      string `dynamodbav:"run"`
	Updated  int64  `dynamodbav:"upd"`
	Ver      int64  `dynamodbav:"ver"`
	GSI1PK   string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK   string `dynamodbav:"gsi1sk,omitempty"`
}

// newItemState is the state of an item written with status; an item that needs action
// (sparse) is listed in the status index under indexPK+status, sorted by sk.
func newItemState(status state.ItemStatus, attempts int, errMsg, run string, ver int64, indexPK, sk string) itemState {
	st := itemState{Status: string(status), Attempts: attempts, Error: errMsg, Run: run, Ver: ver}
	if sparse(status) {
		st.GSI1PK, st.GSI1SK = indexPK+string(status), sk
	}
	return st
}

type objectItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"` // the object key
	Size         int64  `dynamodbav:"sz"`
	ETag         string `dynamodbav:"etag"`
	Checksum     string `dynamodbav:"ck"`
	LastModified int64  `dynamodbav:"lm"`
	DestETag     string `dynamodbav:"detag"`
	UploadID     string `dynamodbav:"uid"`
	PartsTotal   int    `dynamodbav:"pt"`
	PartsDone    int    `dynamodbav:"pd"`
	itemState
}

func (it objectItem) object() state.Object {
	return state.Object{Key: it.SK, Size: it.Size, ETag: it.ETag, Checksum: it.Checksum,
		LastModified: state.FromUnixNanos(it.LastModified), Status: state.ItemStatus(it.Status), Attempts: it.Attempts,
		Error: it.Error, DestETag: it.DestETag, UploadID: it.UploadID, PartsTotal: it.PartsTotal,
		PartsDone: it.PartsDone, RunID: it.Run, UpdatedAt: state.FromUnixNanos(it.Updated)}
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
	Duration    int64    `dynamodbav:"dur"`
	itemState
}

func (it imageItem) image() state.Image {
	return state.Image{Source: it.SK, Destination: it.Destination, Repository: it.Repository, Tag: it.Tag,
		Digest: it.Digest, Platforms: it.Platforms, Bytes: it.Bytes, Status: state.ItemStatus(it.Status),
		Attempts: it.Attempts, Error: it.Error, Duration: time.Duration(it.Duration), RunID: it.Run,
		UpdatedAt: state.FromUnixNanos(it.Updated)}
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

// prior is an item's stored record: what the counter rules need, and its version for
// the optimistic write.
type prior struct {
	state.Prior
	ver int64
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
		now     = state.UnixNanos(time.Now())
	)
	for i, r := range recs {
		run := r.runID
		if run == "" {
			run = task.RunID
		}
		p := priors[i]
		w := p.Apply(task.RunID, run, r.status, r.size, r.attempts)
		if w.Skip {
			continue
		}
		total.Add(w.Delta)
		item, err := r.build(run, w.Attempts, p.ver+1)
		if err != nil {
			return false, fmt.Errorf("encode %q of task %s: %w", r.sk, taskID, err)
		}
		item["upd"] = num(now)
		put := &types.Put{TableName: &s.table, Item: item}
		if p.Exists {
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
					out[i] = prior{Prior: state.Prior{Exists: true, Status: state.ItemStatus(it.St), RunID: it.Run, Size: it.Sz, Attempts: it.Att}, ver: it.Ver}
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

// PutImages implements state.Store.
func (s *Store) PutImages(ctx context.Context, taskID string, imgs []state.Image) error {
	recs := make([]record, len(imgs))
	for i, im := range imgs {
		recs[i] = record{pk: "I#" + taskID, sk: im.Source, status: im.Status, runID: im.RunID, size: im.Bytes,
			attempts: im.Attempts,
			build: func(run string, attempts int, ver int64) (map[string]types.AttributeValue, error) {
				it := imageItem{PK: "I#" + taskID, SK: im.Source, Destination: im.Destination, Repository: im.Repository,
					Tag: im.Tag, Digest: im.Digest, Platforms: im.Platforms, Bytes: im.Bytes, Duration: int64(im.Duration),
					itemState: newItemState(im.Status, attempts, im.Error, run, ver, "IS#"+taskID+"#", im.Source)}
				return attributevalue.MarshalMap(it)
			}}
	}
	return s.putRecords(ctx, taskID, recs)
}

// GetImage implements state.Store.
func (s *Store) GetImage(ctx context.Context, taskID, source string) (state.Image, error) {
	return getItem(ctx, s, "I#"+taskID, source, "image", taskID, imageItem.image)
}

// ListImages implements state.Store.
func (s *Store) ListImages(ctx context.Context, taskID string, opt state.ListOptions) (state.Page[state.Image], error) {
	return listPage(ctx, s, []string{"I#" + taskID}, "IS#"+taskID+"#", "image", taskID, opt, imageItem.image,
		func(im state.Image) string { return im.Source })
}

// getItem reads one item (strongly consistent) of type I and converts it with conv;
// what names the kind in errors.
func getItem[I, T any](ctx context.Context, s *Store, pk, sk, what, taskID string, conv func(I) T) (T, error) {
	var zero T
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return zero, fmt.Errorf("get %s %q of task %s: %w", what, sk, taskID, err)
	}
	if out.Item == nil {
		return zero, fmt.Errorf("get %s %q of task %s: %w", what, sk, taskID, state.ErrNotFound)
	}
	var it I
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return zero, fmt.Errorf("decode %s %q: %w", what, sk, err)
	}
	return conv(it), nil
}

// listPage reads one page of items of type I (see listItems), converted with conv;
// cursorOf gives the cursor of the next page.
func listPage[I, T any](ctx context.Context, s *Store, pks []string, indexPK, what, taskID string, opt state.ListOptions,
	conv func(I) T, cursorOf func(T) string) (state.Page[T], error) {
	var page state.Page[T]
	items, more, err := s.listItems(ctx, pks, indexPK, opt)
	if err != nil {
		return page, fmt.Errorf("list %ss of task %s: %w", what, taskID, err)
	}
	for _, item := range items {
		var it I
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return page, fmt.Errorf("decode %s: %w", what, err)
		}
		page.Items = append(page.Items, conv(it))
	}
	if more && len(page.Items) > 0 {
		page.Next = cursorOf(page.Items[len(page.Items)-1])
	}
	return page, nil
}
