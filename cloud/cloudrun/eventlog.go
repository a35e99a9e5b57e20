package cloudrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"transferhub/cloud/s3sync"
)

// DynamoAPI is the part of the DynamoDB client the event log uses.
type DynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// EventLog keeps the last applied S3 event per key in the task's table (the
// dynamostore layout): partition T#<task>, sort key E#<key>, so deleting the task
// deletes them with its other per-task items. The sequencer is stored left-padded so
// that the conditional write compares it as a number.
type EventLog struct {
	API    DynamoAPI
	Table  string
	TaskID string
}

var _ s3sync.EventLog = (*EventLog)(nil)

func (l *EventLog) key(objectKey string) map[string]types.AttributeValue {
	sk := "E#" + objectKey
	if len(sk) > 1000 { // DynamoDB sort keys hold 1024 bytes; S3 keys can be 1024 long
		sum := sha256.Sum256([]byte(objectKey))
		sk = "E#H#" + hex.EncodeToString(sum[:])
	}
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "T#" + l.TaskID},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

func decodeApplied(item map[string]types.AttributeValue) s3sync.AppliedEvent {
	var ev s3sync.AppliedEvent
	if v, ok := item["seq"].(*types.AttributeValueMemberS); ok {
		ev.Sequencer = v.Value
	}
	if v, ok := item["removed"].(*types.AttributeValueMemberBOOL); ok {
		ev.Removed = v.Value
	}
	return ev
}

// LastEvent implements s3sync.EventLog.
func (l *EventLog) LastEvent(ctx context.Context, key string) (s3sync.AppliedEvent, error) {
	out, err := l.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.Table), Key: l.key(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return s3sync.AppliedEvent{}, fmt.Errorf("read last event of %q: %w", key, err)
	}
	return decodeApplied(out.Item), nil
}

// RecordEvent implements s3sync.EventLog with one conditional write.
func (l *EventLog) RecordEvent(ctx context.Context, key string, ev s3sync.AppliedEvent) (bool, s3sync.AppliedEvent, error) {
	seq := s3sync.PadSequencer(ev.Sequencer)
	_, err := l.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.Table),
		Key:                      l.key(key),
		UpdateExpression:         aws.String("SET #seq = :seq, #removed = :removed, #upd = :now"),
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #seq < :seq"),
		ExpressionAttributeNames: map[string]string{"#seq": "seq", "#removed": "removed", "#upd": "upd", "#pk": "pk"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seq":     &types.AttributeValueMemberS{Value: seq},
			":removed": &types.AttributeValueMemberBOOL{Value: ev.Removed},
			":now":     &types.AttributeValueMemberN{Value: fmt.Sprint(time.Now().UnixNano())},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		cur, err := l.LastEvent(ctx, key)
		return false, cur, err
	}
	if err != nil {
		return false, s3sync.AppliedEvent{}, fmt.Errorf("record event of %q: %w", key, err)
	}
	return true, ev, nil
}
