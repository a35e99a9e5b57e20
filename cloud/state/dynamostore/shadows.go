package dynamostore

import (
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/state"
)

// Shadows: the FAILED records of job items, each an item of its own in the sparse status
// index (see jobs.go).

func failedIndexPK(task string) string { return "OS#" + task + "#" + string(state.ItemFailed) }

func shadowKey(task, key string) map[string]types.AttributeValue {
	return keyOf(objectPK(task, shardOf(key)), key)
}

// shadowPut writes the failed-index copy of e (home: the job item's sort key), unless a
// later run's copy is there.
func (s *Store) shadowPut(task, run, home string, e entry) (types.TransactWriteItem, error) {
	it := objectItem{PK: objectPK(task, shardOf(e.Key)), SK: e.Key, Size: e.Size, ETag: e.ETag, Checksum: e.Checksum,
		LastModified: e.LastModified, DestETag: e.DestETag, UploadID: e.UploadID, PartsTotal: e.PartsTotal, PartsDone: e.PartsDone,
		itemState: newItemState(state.ItemFailed, e.Attempts, e.Error, run, 0, "OS#"+task+"#", e.Key)}
	it.Updated = e.Updated
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	item["home"] = str(home)
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item,
		ConditionExpression:       expr("attribute_not_exists(#pk) OR #run <= :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": str(run)}}}, nil
}

// shadowDelete deletes the failed-index copy of key if it is this item's or an earlier run's.
func (s *Store) shadowDelete(task, run, home, key string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: shadowKey(task, key),
		ConditionExpression:       expr("attribute_not_exists(#pk) OR #home = :home OR #run < :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":home": str(home), ":run": str(run)}}}
}

// maxShadowOps leaves room in a transaction (100 actions) for the item and a counter.
const maxShadowOps = 98

// shadowOps returns the shadow writes j's entries need (at most maxShadowOps; the
// entries' flags are set as if they succeeded) and the index of each op's entry.
// changed names entries written now (a FAILED one rewrites its shadow); skip, entries
// left alone.
func (s *Store) shadowOps(task string, j *job, changed map[string]bool, skip map[int]bool) ([]types.TransactWriteItem, []int, error) {
	var ops []types.TransactWriteItem
	var idx []int
	for i := range j.entries {
		if len(ops) == maxShadowOps {
			break
		}
		if skip[i] {
			continue
		}
		e := &j.entries[i]
		switch {
		case e.Status == state.ItemFailed && (!e.Shadow || changed[e.Key]):
			op, err := s.shadowPut(task, j.run, j.item.SK, *e)
			if err != nil {
				return nil, nil, err
			}
			ops, idx = append(ops, op), append(idx, i)
			e.Shadow = true
		case e.Status != state.ItemFailed && e.Shadow:
			ops, idx = append(ops, s.shadowDelete(task, j.run, j.item.SK, e.Key)), append(idx, i)
			e.Shadow = false
		}
	}
	return ops, idx, nil
}

// pendingShadows reports whether some of j's entries (but those in skip) still need
// their shadow written or deleted.
func pendingShadows(j *job, skip map[int]bool) bool {
	for i, e := range j.entries {
		if !skip[i] && (e.Status == state.ItemFailed) != e.Shadow {
			return true
		}
	}
	return false
}
