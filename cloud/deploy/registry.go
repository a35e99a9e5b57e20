package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The control plane's tasks table is the registry of its cloud tasks: every desktop
// with access to the account sees the same tasks, and a task deleted with its data
// kept is remembered there (its kept table), so deploying it again adopts the table.
// One item per task: pk "TASK", sk the task id.

// Record states.
const (
	RecordDeployed = "DEPLOYED"
	// RecordDataKept: the stack was deleted, the table kept (KeptTable).
	RecordDataKept = "DATA_KEPT"
)

// TaskRecord is a cloud task in the registry.
type TaskRecord struct {
	TaskID string `dynamodbav:"sk" json:"taskId"`
	Name   string `dynamodbav:"name,omitempty" json:"name,omitempty"`
	// Kind is the stack's template (s3-task, image-task).
	Kind  string `dynamodbav:"kind" json:"kind"`
	Stack string `dynamodbav:"stack" json:"stack"`
	State string `dynamodbav:"state" json:"state"`
	// Env is the task's agent environment (THUB_*, without keys): what the task does.
	Env map[string]string `dynamodbav:"env,omitempty" json:"env,omitempty"`
	// Definition is the caller's own form of the task (the desktop's saved spec).
	Definition string `dynamodbav:"definition,omitempty" json:"definition,omitempty"`
	// Table is the task's table; KeptTable the one kept after a delete.
	Table     string `dynamodbav:"table,omitempty" json:"table,omitempty"`
	KeptTable string `dynamodbav:"keptTable,omitempty" json:"keptTable,omitempty"`
	// Secrets are the ARNs of its stored keys.
	Secrets []string `dynamodbav:"secrets,omitempty" json:"secrets,omitempty"`
	// Notification is its S3 event notification on the source bucket.
	Notification *Notification `dynamodbav:"notification,omitempty" json:"notification,omitempty"`
	Version      string        `dynamodbav:"version,omitempty" json:"version,omitempty"`
	Created      time.Time     `dynamodbav:"created" json:"created"`
	Updated      time.Time     `dynamodbav:"updated" json:"updated"`
}

const registryPK = "TASK"

// Registry is the control plane's registry of tasks.
type Registry struct {
	api   DynamoDBAPI
	table string
}

// Registry returns the registry in the control plane's tasks table.
func (d *Deployer) Registry(tasksTable string) Registry {
	return Registry{api: d.c.DynamoDB, table: tasksTable}
}

type recordItem struct {
	PK string `dynamodbav:"pk"`
	TaskRecord
}

// Get returns a task's record; ok is false when there is none.
func (r Registry) Get(ctx context.Context, taskID string) (TaskRecord, bool, error) {
	out, err := r.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.table), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: registryPK}, "sk": &ddbtypes.AttributeValueMemberS{Value: taskID}}})
	if err != nil {
		return TaskRecord{}, false, fmt.Errorf("read task %s from the registry %s: %w", taskID, r.table, err)
	}
	if out.Item == nil {
		return TaskRecord{}, false, nil
	}
	var it recordItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return TaskRecord{}, false, fmt.Errorf("task %s in the registry: %w", taskID, err)
	}
	return it.TaskRecord, true, nil
}

// Put writes a task's record.
func (r Registry) Put(ctx context.Context, rec TaskRecord) error {
	item, err := attributevalue.MarshalMap(recordItem{PK: registryPK, TaskRecord: rec})
	if err != nil {
		return err
	}
	if _, err := r.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.table), Item: item}); err != nil {
		return fmt.Errorf("write task %s to the registry %s: %w", rec.TaskID, r.table, err)
	}
	return nil
}

// Delete removes a task's record.
func (r Registry) Delete(ctx context.Context, taskID string) error {
	_, err := r.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(r.table),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: registryPK}, "sk": &ddbtypes.AttributeValueMemberS{Value: taskID}}})
	if err != nil {
		return fmt.Errorf("remove task %s from the registry %s: %w", taskID, r.table, err)
	}
	return nil
}

// List returns every task's record, by task id.
func (r Registry) List(ctx context.Context) ([]TaskRecord, error) {
	var out []TaskRecord
	p := dynamodb.NewQueryPaginator(r.api, &dynamodb.QueryInput{TableName: aws.String(r.table), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: registryPK}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the registry %s: %w", r.table, err)
		}
		for _, item := range page.Items {
			var it recordItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, fmt.Errorf("a task in the registry: %w", err)
			}
			out = append(out, it.TaskRecord)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TaskID < out[j].TaskID })
	return out, nil
}

// definition keeps a caller's definition as a string (JSON as given).
func definition(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	return string(raw)
}
