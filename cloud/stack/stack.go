// Package stack holds Transfer Hub's CloudFormation templates and their typed
// parameters: the control plane (once per account and Region), the S3 task stack and
// the image task stack. A deployer takes a Template's Body and a params struct's
// Parameters() to CloudFormation, and reads a stack's outputs back into the typed
// outputs structs (ParseControlPlaneOutputs, ...). What the stacks create and why:
// cloud/docs/deploy.md.
//
// The templates are written so that the same file deploys in the aws, aws-cn and
// aws-us-gov partitions and also in the AWS emulator the tests use: no exports, no
// nested stacks, no custom resources; IAM policies as AWS::IAM::Policy resources; KMS key
// policies and state machine definitions as !Sub strings; no AWS::NoValue inside lists.
package stack

//go:generate go run ./internal/gentable templates/s3-task.yaml templates/image-task.yaml

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

//go:embed templates/*.yaml
var templates embed.FS

// Kind names one of the templates.
type Kind string

// The three stacks.
const (
	KindControlPlane Kind = "control-plane"
	KindS3Task       Kind = "s3-task"
	KindImageTask    Kind = "image-task"
)

// Template is one embedded template.
type Template struct {
	Kind Kind
	// Body is the template (YAML), for CreateStack/CreateChangeSet's TemplateBody (well
	// under its 51,200-byte limit; a test keeps it so).
	Body string
	// SHA256 of Body: a stack deployed from another body needs an update.
	SHA256 string
	// Outputs are the names of the stack's outputs (see the *Outputs types).
	Outputs []string
}

func load(kind Kind, outputs any) Template {
	b, err := templates.ReadFile("templates/" + string(kind) + ".yaml")
	if err != nil {
		panic("stack: template " + string(kind) + " is not embedded: " + err.Error()) // a build defect
	}
	sum := sha256.Sum256(b)
	return Template{Kind: kind, Body: string(b), SHA256: hex.EncodeToString(sum[:]), Outputs: outputNames(outputs)}
}

// ControlPlane is the control plane template (parameters: ControlPlaneParams; outputs:
// ControlPlaneOutputs).
func ControlPlane() Template { return load(KindControlPlane, ControlPlaneOutputs{}) }

// S3Task is the S3 task template (parameters: S3TaskParams; outputs: S3TaskOutputs).
func S3Task() Template { return load(KindS3Task, S3TaskOutputs{}) }

// ImageTask is the image task template (parameters: ImageTaskParams; outputs:
// ImageTaskOutputs).
func ImageTask() Template { return load(KindImageTask, ImageTaskOutputs{}) }

// Templates returns the three templates.
func Templates() []Template { return []Template{ControlPlane(), S3Task(), ImageTask()} }

// Assets in the control plane's bucket. Agent binaries and Lambda zips are
// content-addressed: a new build is a new key, and a key never changes its bytes.

// AssetKey is the key of a content-addressed asset.
func AssetKey(sha256Hex string) string { return "sha256/" + sha256Hex }

// ListKey is the key of one of a task's lists (a prefix list, an image list): it is
// replaced in place when the list changes, without a redeploy.
func ListKey(taskID, name string) string { return "lists/" + taskID + "/" + name }

// ListURL is the s3:// URL of a task's list, as the agent reads it (THUB_PREFIX_LIST,
// THUB_IMAGE_LIST).
func ListURL(bucket, taskID, name string) string {
	return "s3://" + bucket + "/" + ListKey(taskID, name)
}

// SupersededTag marks an asset no stack uses any more; the bucket's lifecycle deletes
// it 30 days later (value "true").
const SupersededTag = "thub:superseded"

// parameters renders name → value as CloudFormation parameters, sorted by name.
func parameters(m map[string]string) []types.Parameter {
	return sortedPairs(m, func(k, v string) types.Parameter {
		return types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)}
	})
}

// Tags renders key → value as CloudFormation stack tags, sorted by key.
func Tags(m map[string]string) []types.Tag {
	return sortedPairs(m, func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} })
}

// sortedPairs makes one element of each key of m and its value, in key order.
func sortedPairs[T any](m map[string]string, pair func(k, v string) T) []T {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, pair(k, m[k]))
	}
	return out
}

// outputNames lists the cfn tags of an outputs struct.
func outputNames(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("cfn"); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// parseOutputs fills the cfn-tagged string fields of a T from a stack's outputs; a
// missing output is an error (the stack is not of this template's version).
func parseOutputs[T any](outs []types.Output, what string) (T, error) {
	var dst T
	got := map[string]string{}
	for _, o := range outs {
		got[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	v := reflect.ValueOf(&dst).Elem()
	var missing []string
	for i := range v.NumField() {
		name := v.Type().Field(i).Tag.Get("cfn")
		if name == "" {
			continue
		}
		val, ok := got[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(val)
		case reflect.Slice: // comma-joined lists
			var items []string
			for _, s := range strings.Split(val, ",") {
				if s = strings.TrimSpace(s); s != "" {
					items = append(items, s)
				}
			}
			f.Set(reflect.ValueOf(items))
		}
	}
	if len(missing) > 0 {
		return dst, fmt.Errorf("the %s stack has no output %s: deployed from another version of its template?", what, strings.Join(missing, ", "))
	}
	return dst, nil
}

// TemplateURL is the https URL CloudFormation reads a template from (TemplateURL) when
// it is stored in bucket under key, in region. Task templates go this way, from the
// control plane's assets bucket (AssetKey of the template's SHA256): TemplateBody takes
// 51,200 bytes, a TemplateURL 1 MB.
func TemplateURL(bucket, region, key string) string {
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + bucket + ".s3." + region + "." + suffix + "/" + key
}
