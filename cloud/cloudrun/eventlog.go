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

// EventLog orders S3 events per key (s3sync.EventLog) in the task's table (the
// dynamostore layout): partition T#<task>, sort key E#<key>, so deleting the task
// deletes them with its other per-task items. Sequencers are stored left-padded so that
// the conditional write compares them as numbers.
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

// LatestEvent implements s3sync.EventLog.
func (l *EventLog) LatestEvent(ctx context.Context, key string) (s3sync.KeyEvent, error) {
	out, err := l.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(l.Table), Key: l.key(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return s3sync.KeyEvent{}, fmt.Errorf("read latest event of %q: %w", key, err)
	}
	var ev s3sync.KeyEvent
	if v, ok := out.Item["seq"].(*types.AttributeValueMemberS); ok {
		ev.Sequencer = v.Value
	}
	if v, ok := out.Item["removed"].(*types.AttributeValueMemberBOOL); ok {
		ev.Removed = v.Value
	}
	if v, ok := out.Item["applied"].(*types.AttributeValueMemberBOOL); ok {
		ev.Applied = v.Value
	}
	return ev, nil
}

// ClaimEvent implements s3sync.EventLog with one conditional write.
func (l *EventLog) ClaimEvent(ctx context.Context, key string, ev s3sync.KeyEvent) (bool, s3sync.KeyEvent, error) {
	seq := s3sync.PadSequencer(ev.Sequencer)
	_, err := l.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.Table),
		Key:                      l.key(key),
		UpdateExpression:         aws.String("SET #seq = :seq, #removed = :removed, #applied = :false, #upd = :now"),
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #seq < :seq"),
		ExpressionAttributeNames: map[string]string{"#seq": "seq", "#removed": "removed", "#applied": "applied", "#upd": "upd", "#pk": "pk"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":seq":     &types.AttributeValueMemberS{Value: seq},
			":removed": &types.AttributeValueMemberBOOL{Value: ev.Removed},
			":false":   &types.AttributeValueMemberBOOL{Value: false},
			":now":     &types.AttributeValueMemberN{Value: fmt.Sprint(time.Now().UnixNano())},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		cur, err := l.LatestEvent(ctx, key)
		if err != nil {
			return false, cur, err
		}
		// The same event again, never finished: its redelivery applies it.
		return cur.Sequencer == seq && !cur.Applied, cur, nil
	}
	if err != nil {
		return false, s3sync.KeyEvent{}, fmt.Errorf("claim event of %q: %w", key, err)
	}
	return true, ev, nil
}

// MarkApplied implements s3sync.EventLog.
func (l *EventLog) MarkApplied(ctx context.Context, key string, ev s3sync.KeyEvent) error {
	_, err := l.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.Table),
		Key:                       l.key(key),
		UpdateExpression:          aws.String("SET #applied = :true"),
		ConditionExpression:       aws.String("#seq = :seq"),
		ExpressionAttributeNames:  map[string]string{"#seq": "seq", "#applied": "applied"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":seq": &types.AttributeValueMemberS{Value: s3sync.PadSequencer(ev.Sequencer)}, ":true": &types.AttributeValueMemberBOOL{Value: true}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) { // a newer event claimed the key: nothing to mark
		return fmt.Errorf("mark event of %q applied: %w", key, err)
	}
	return nil
}
