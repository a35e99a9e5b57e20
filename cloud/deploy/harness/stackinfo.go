package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"transferhub/cloud/stack/cfnyaml"
)

// deployed is a stack as the emulator holds it: its template (GetTemplate, what the
// emulator drops included), parameter values, outputs and resources' physical ids.
// Everything the harness plays comes from here, never from its own copy of a template.
type deployed struct {
	name      string
	id        string
	status    string // CREATE_COMPLETE, UPDATE_COMPLETE, ...
	tpl       *cfnyaml.Template
	params    map[string]string
	outputs   map[string]string
	physical  map[string]string // logical id -> physical id
	region    string
	account   string
	partition string
}

// readStack reads a deployed stack.
func readStack(ctx context.Context, cf *cloudformation.Client, name, region, account string) (*deployed, error) {
	ds, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(ds.Stacks) != 1 {
		return nil, fmt.Errorf("stack %s: %d stacks", name, len(ds.Stacks))
	}
	st := ds.Stacks[0]
	gt, err := cf.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("get the template of stack %s: %w", name, err)
	}
	tpl, err := cfnyaml.Parse([]byte(aws.ToString(gt.TemplateBody)))
	if err != nil {
		return nil, fmt.Errorf("the template of stack %s: %w", name, err)
	}
	d := &deployed{name: aws.ToString(st.StackName), id: aws.ToString(st.StackId), status: string(st.StackStatus), tpl: tpl, params: map[string]string{},
		outputs: map[string]string{}, physical: map[string]string{}, region: region, account: account, partition: partitionOf(region)}
	for _, p := range st.Parameters {
		d.params[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	// Template defaults for parameters the stack did not list.
	for k, p := range tpl.Parameters {
		if _, ok := d.params[k]; !ok {
			if def, ok := p["Default"]; ok {
				d.params[k] = fmt.Sprint(def)
			}
		}
	}
	for _, o := range st.Outputs {
		d.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	rs, err := cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("the resources of stack %s: %w", name, err)
	}
	for _, r := range rs.StackResources {
		d.physical[aws.ToString(r.LogicalResourceId)] = aws.ToString(r.PhysicalResourceId)
	}
	return d, nil
}

func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (d *deployed) urlSuffix() string {
	if d.partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// resource returns a resource of the template that the stack has (its condition holds).
func (d *deployed) resource(logical string) (cfnyaml.Resource, bool) {
	r, ok := d.tpl.Resources[logical]
	if !ok {
		return r, false
	}
	if r.Condition != "" {
		on, err := d.condition(r.Condition)
		if err != nil || !on {
			return r, false
		}
	}
	return r, true
}

// ofType lists the stack's resources of a type (conditions holding), sorted.
func (d *deployed) ofType(typ string) []string {
	var out []string
	for _, n := range d.tpl.OfType(typ) {
		if _, ok := d.resource(n); ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// prop resolves a resource's property (intrinsic functions evaluated).
func (d *deployed) prop(logical string, path ...string) (any, error) {
	r, ok := d.resource(logical)
	if !ok {
		return nil, fmt.Errorf("stack %s has no resource %s", d.name, logical)
	}
	var v any = r.Properties
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s: %s is not an object", logical, strings.Join(path, "."))
		}
		if v, ok = m[p]; !ok {
			return nil, nil
		}
	}
	out, err := d.resolve(v)
	if err != nil {
		return nil, fmt.Errorf("resource %s property %s: %w", logical, strings.Join(path, "."), err)
	}
	return out, nil
}

func (d *deployed) propString(logical string, path ...string) (string, error) {
	v, err := d.prop(logical, path...)
	if err != nil {
		return "", err
	}
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case float64, int, bool:
		return fmt.Sprint(t), nil
	}
	return "", fmt.Errorf("resource %s property %s is %T, not a string", logical, strings.Join(path, "."), v)
}

// noValue stands for AWS::NoValue: the key or item is left out.
type noValue struct{}

// resolve evaluates CloudFormation's intrinsic functions in v.
func (d *deployed) resolve(v any) (any, error) {
	switch t := v.(type) {
	case []any:
		out := make([]any, 0, len(t))
		for _, x := range t {
			r, err := d.resolve(x)
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); !skip {
				out = append(out, r)
			}
		}
		return out, nil
	case map[string]any:
		if len(t) == 1 {
			for k, arg := range t {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") || k == "Condition" {
					return d.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			r, err := d.resolve(x)
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); !skip {
				out[k] = r
			}
		}
		return out, nil
	}
	return v, nil
}

func (d *deployed) intrinsic(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return d.ref(name)
	case "Fn::GetAtt":
		res, att, ok := getAttArgs(arg)
		if !ok {
			return nil, fmt.Errorf("Fn::GetAtt %v", arg)
		}
		return d.getAtt(res, att)
	case "Fn::Sub":
		var format string
		vars := map[string]any{}
		switch a := arg.(type) {
		case string:
			format = a
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("Fn::Sub with %d arguments", len(a))
			}
			format, _ = a[0].(string)
			m, _ := a[1].(map[string]any)
			for k, x := range m {
				r, err := d.resolve(x)
				if err != nil {
					return nil, err
				}
				vars[k] = r
			}
		}
		return d.sub(format, vars)
	case "Fn::Join":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Join %v", arg)
		}
		sep, _ := a[0].(string)
		items, err := d.resolve(a[1])
		if err != nil {
			return nil, err
		}
		var parts []string
		list, _ := items.([]any)
		for _, x := range list {
			parts = append(parts, fmt.Sprint(x))
		}
		return strings.Join(parts, sep), nil
	case "Fn::Split":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Split %v", arg)
		}
		sep, _ := a[0].(string)
		s, err := d.resolve(a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(fmt.Sprint(s), sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Select":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Select %v", arg)
		}
		idx, err := d.resolve(a[0])
		if err != nil {
			return nil, err
		}
		list, err := d.resolve(a[1])
		if err != nil {
			return nil, err
		}
		var i int
		fmt.Sscan(fmt.Sprint(idx), &i)
		l, _ := list.([]any)
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("Fn::Select index %d of %d items", i, len(l))
		}
		return l[i], nil
	case "Fn::If":
		a, _ := arg.([]any)
		if len(a) != 3 {
			return nil, fmt.Errorf("Fn::If %v", arg)
		}
		name, _ := a[0].(string)
		on, err := d.condition(name)
		if err != nil {
			return nil, err
		}
		if on {
			return d.resolve(a[1])
		}
		return d.resolve(a[2])
	case "Fn::Base64":
		return d.resolve(arg) // the harness reads the text (the emulator returns it base64-encoded)
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		return d.conditionValue(fn, arg)
	}
	return nil, fmt.Errorf("intrinsic function %s is not supported by the harness", fn)
}

// getAttArgs reads Fn::GetAtt's argument: [Resource, Attribute] or "Resource.Attribute".
func getAttArgs(arg any) (res, att string, ok bool) {
	var parts []string
	switch a := arg.(type) {
	case string:
		parts = strings.SplitN(a, ".", 2)
	case []any:
		for _, p := range a {
			s, _ := p.(string)
			parts = append(parts, s)
		}
	}
	if len(parts) != 2 {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func (d *deployed) condition(name string) (bool, error) {
	c, ok := d.tpl.Conditions[name]
	if !ok {
		return false, fmt.Errorf("condition %s is not in the template", name)
	}
	v, err := d.resolve(c)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s is %T", name, v)
	}
	return b, nil
}

func (d *deployed) conditionValue(fn string, arg any) (any, error) {
	if fn == "Condition" {
		name, _ := arg.(string)
		return d.condition(name)
	}
	a, _ := arg.([]any)
	vals := make([]any, 0, len(a))
	for _, x := range a {
		r, err := d.resolve(x)
		if err != nil {
			return nil, err
		}
		vals = append(vals, r)
	}
	switch fn {
	case "Fn::Equals":
		if len(vals) != 2 {
			return nil, fmt.Errorf("Fn::Equals %v", arg)
		}
		return fmt.Sprint(vals[0]) == fmt.Sprint(vals[1]), nil
	case "Fn::Not":
		if len(vals) != 1 {
			return nil, fmt.Errorf("Fn::Not %v", arg)
		}
		b, _ := vals[0].(bool)
		return !b, nil
	case "Fn::And", "Fn::Or":
		out := fn == "Fn::And"
		for _, v := range vals {
			b, _ := v.(bool)
			if fn == "Fn::And" {
				out = out && b
			} else {
				out = out || b
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s", fn)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

func (d *deployed) sub(format string, vars map[string]any) (string, error) {
	var firstErr error
	out := subVar.ReplaceAllStringFunc(format, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := vars[name]; ok {
			return fmt.Sprint(v)
		}
		var v any
		var err error
		if res, att, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err = d.getAtt(res, att)
		} else {
			v, err = d.ref(name)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		if l, ok := v.([]any); ok { // a list parameter in a string
			parts := make([]string, len(l))
			for i, x := range l {
				parts[i] = fmt.Sprint(x)
			}
			return strings.Join(parts, ",")
		}
		return fmt.Sprint(v)
	})
	return strings.ReplaceAll(out, "${!", "${"), firstErr
}

func (d *deployed) ref(name string) (any, error) {
	switch name {
	case "AWS::Region":
		return d.region, nil
	case "AWS::AccountId":
		return d.account, nil
	case "AWS::Partition":
		return d.partition, nil
	case "AWS::URLSuffix":
		return d.urlSuffix(), nil
	case "AWS::StackName":
		return d.name, nil
	case "AWS::StackId":
		return d.id, nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	if p, ok := d.tpl.Parameters[name]; ok {
		v := d.params[name]
		if t, _ := p["Type"].(string); t == "CommaDelimitedList" || strings.HasPrefix(t, "List<") {
			var out []any
			for _, s := range strings.Split(v, ",") {
				out = append(out, strings.TrimSpace(s))
			}
			return out, nil
		}
		return v, nil
	}
	if _, ok := d.tpl.Resources[name]; ok {
		id, ok := d.physical[name]
		if !ok {
			return nil, fmt.Errorf("resource %s of stack %s was not created (the emulator may not support its type)", name, d.name)
		}
		return id, nil
	}
	return nil, fmt.Errorf("the Ref %s: no such parameter or resource", name)
}

// getAtt knows the attributes the harness reads of the resource types it plays.
func (d *deployed) getAtt(logical, att string) (any, error) {
	r, ok := d.tpl.Resources[logical]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", logical, att)
	}
	id, ok := d.physical[logical]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: the resource was not created", logical, att)
	}
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", d.partition, service, d.region, d.account, rest)
	}
	switch r.Type + "." + att {
	case "AWS::SQS::Queue.QueueName":
		return id[strings.LastIndex(id, "/")+1:], nil
	case "AWS::SQS::Queue.Arn":
		return arn("sqs", id[strings.LastIndex(id, "/")+1:]), nil
	case "AWS::IAM::Role.Arn":
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", d.partition, d.account, id), nil
	case "AWS::IAM::InstanceProfile.Arn":
		return fmt.Sprintf("arn:%s:iam::%s:instance-profile/%s", d.partition, d.account, id), nil
	case "AWS::Lambda::Function.Arn":
		return arn("lambda", "function:"+id), nil
	case "AWS::Logs::LogGroup.Arn":
		return arn("logs", "log-group:"+id+":*"), nil
	case "AWS::StepFunctions::StateMachine.Arn", "AWS::StepFunctions::StateMachine.Name":
		if att == "Name" {
			return id[strings.LastIndex(id, ":")+1:], nil
		}
		return id, nil
	case "AWS::DynamoDB::Table.Arn":
		return arn("dynamodb", "table/"+id), nil
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s (%s) is not known to the harness", logical, att, r.Type)
}

// launchVersion is the launch template version the template has an Auto Scaling group
// launch, as DescribeLaunchTemplateVersions takes it: $Latest for the launch
// template's !GetAtt LatestVersionNumber, $Default for its DefaultVersionNumber or no
// version at all (as AWS defaults it), else the value the template gives. lt is the
// logical id of the launch template the group launches ("": not the stack's).
func (d *deployed) launchVersion(group, lt string) (string, error) {
	r, ok := d.resource(group)
	if !ok {
		return "", fmt.Errorf("stack %s has no resource %s", d.name, group)
	}
	spec := asMap(asMap(asMap(r.Properties["MixedInstancesPolicy"])["LaunchTemplate"])["LaunchTemplateSpecification"])
	if spec == nil {
		spec = asMap(r.Properties["LaunchTemplate"])
	}
	if spec == nil {
		return "", fmt.Errorf("the template's Auto Scaling group %s names no launch template", group)
	}
	v, ok := spec["Version"]
	if !ok {
		return "$Default", nil
	}
	if m := asMap(v); len(m) == 1 {
		if arg, ok := m["Fn::GetAtt"]; ok {
			res, att, ok := getAttArgs(arg)
			switch {
			case !ok:
				return "", fmt.Errorf("the template's Auto Scaling group %s: Version: Fn::GetAtt %v", group, arg)
			case res != lt:
				return "", fmt.Errorf("the template's Auto Scaling group %s launches launch template %q but takes the version of %s", group, lt, res)
			case att == "LatestVersionNumber":
				return "$Latest", nil
			case att == "DefaultVersionNumber":
				return "$Default", nil
			}
		}
	}
	out, err := d.resolve(v)
	if err != nil {
		return "", fmt.Errorf("the template's Auto Scaling group %s: Version: %w", group, err)
	}
	return fmt.Sprint(out), nil
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
