package dynamostore

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/state"
)

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
