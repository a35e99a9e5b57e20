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

	"transferhub/cloud/state"
)

// SetMeta implements state.Store.
func (s *Store) SetMeta(ctx context.Context, taskID, name, value string) error {
	item := keyOf("T#"+taskID, "M#"+name)
	item["value"] = str(value)
	if _, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("set %s of task %s: %w", name, taskID, err)
	}
	return nil
}

// GetMeta implements state.Store.
func (s *Store) GetMeta(ctx context.Context, taskID, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf("T#"+taskID, "M#"+name), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("get %s of task %s: %w", name, taskID, err)
	}
	if v, ok := out.Item["value"].(*types.AttributeValueMemberS); ok {
		return v.Value, nil
	}
	return "", nil
}

// Lease implements state.Store with a conditional put.
func (s *Store) Lease(ctx context.Context, taskID, name, owner string, ttl time.Duration) error {
	now := time.Now()
	item := keyOf("T#"+taskID, "L#"+name)
	item["owner"], item["expiresAt"] = str(owner), num(state.UnixNanos(now.Add(ttl)))
	_, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression:       expr("attribute_not_exists(#pk) OR #owner = :owner OR #expiresAt < :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(owner), ":now": num(state.UnixNanos(now))},
		// The holder comes back with the refusal, so the caller can say who runs the task.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		held := &state.LeaseHeldError{TaskID: taskID, Name: name}
		var cur struct {
			Owner     string `dynamodbav:"owner"`
			ExpiresAt int64  `dynamodbav:"expiresAt"`
		}
		if attributevalue.UnmarshalMap(ccf.Item, &cur) == nil {
			held.Holder, held.Until = cur.Owner, state.FromUnixNanos(cur.ExpiresAt)
		}
		return held
	}
	if err != nil {
		return fmt.Errorf("lease %s of task %s: %w", name, taskID, err)
	}
	return nil
}

// ReleaseLease implements state.Store.
func (s *Store) ReleaseLease(ctx context.Context, taskID, name, owner string) error {
	_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: keyOf("T#"+taskID, "L#"+name),
		ConditionExpression:       expr("#owner = :owner"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(owner)}})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release lease %s of task %s: %w", name, taskID, err)
	}
	return nil
}
