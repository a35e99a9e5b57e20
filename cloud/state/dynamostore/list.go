package dynamostore

import (
	"context"
	"maps"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

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
	hi, bounded := prefixEnd(opt.Prefix)
	switch {
	case lo == "" && !bounded:
		in.KeyConditionExpression = expr("#pk = :pk")
	case !bounded:
		in.KeyConditionExpression = expr("#pk = :pk AND #sk >= :lo")
		in.ExpressionAttributeNames["#sk"] = skName
		in.ExpressionAttributeValues[":lo"] = str(lo)
	default:
		// hi itself is the one key in the range without the prefix: readers stop there.
		in.KeyConditionExpression = expr("#pk = :pk AND #sk BETWEEN :lo AND :hi")
		in.ExpressionAttributeNames["#sk"] = skName
		in.ExpressionAttributeValues[":lo"] = str(lo)
		in.ExpressionAttributeValues[":hi"] = str(max(hi, lo)) // a cursor past the prefix: lo at most, not in it
	}
	return in
}

// prefixEnd returns the least key above every key that starts with prefix (false when
// there is none, or no prefix): prefix with its last character incremented.
func prefixEnd(prefix string) (string, bool) {
	if !utf8.ValidString(prefix) { // no such key: keys are UTF-8
		return "", false
	}
	rs := []rune(prefix)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i] + 1
		if r >= 0xD800 && r <= 0xDFFF { // no surrogates in UTF-8: on to the next character
			r = 0xE000
		}
		if r <= unicode.MaxRune {
			return string(rs[:i]) + string(r), true
		}
	}
	return "", false
}

// indexPage reads one page of a status index query in (sort keys within prefix): the
// first skip items are only counted (a COUNT query skips as many as one request reads,
// at most skip), then limit items and one more, which tells whether a next page exists.
func (s *Store) indexPage(ctx context.Context, in *dynamodb.QueryInput, prefix string, skip, limit int) ([]map[string]types.AttributeValue, bool, error) {
	hi, bounded := prefixEnd(prefix)
	for skip > 0 {
		count := *in
		count.ExpressionAttributeNames = maps.Clone(in.ExpressionAttributeNames)
		count.Select, count.Limit = types.SelectCount, aws.Int32(int32(min(skip, math.MaxInt32)))
		out, err := s.api.Query(ctx, &count)
		if err != nil {
			return nil, false, err
		}
		skip -= int(out.Count)
		last := out.LastEvaluatedKey
		if len(last) == 0 {
			return nil, false, nil // the range ended within the offset
		}
		if v, ok := last["gsi1sk"].(*types.AttributeValueMemberS); bounded && ok && v.Value == hi {
			return nil, false, nil // the last key counted was past the prefix: nothing follows
		}
		in.ExclusiveStartKey = last
	}
	c := &cursor{s: s, in: in, limit: int32(limit + 1)}
	return mergePage(ctx, []*cursor{c}, prefix, 0, limit, nil)
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
		return s.indexPage(ctx, s.rangeQuery(indexPK+string(opt.Status), statusIndex, opt), opt.Prefix, max(opt.Offset, 0), limit)
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
