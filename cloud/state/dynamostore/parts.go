package dynamostore

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/state"
)

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
