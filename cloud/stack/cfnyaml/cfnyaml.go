// Package cfnyaml reads CloudFormation templates written in YAML, short tags included
// (!Ref, !Sub, !GetAtt, ...), into plain Go values in the long JSON form ({"Ref": x},
// {"Fn::Sub": ...}): what tests and tools that inspect templates (the template unit
// tests, a compute harness reading a deployed template from GetTemplate) need.
package cfnyaml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is a parsed template: the top-level sections as maps.
type Template struct {
	Description string
	Parameters  map[string]map[string]any
	Conditions  map[string]any
	Resources   map[string]Resource
	Outputs     map[string]map[string]any
	Metadata    map[string]any
	Raw         map[string]any // the whole document
}

// Resource is one entry of Resources.
type Resource struct {
	Type       string
	Condition  string
	Properties map[string]any
	Raw        map[string]any // every key of the entry (DeletionPolicy, DependsOn, Metadata, ...)
}

// Parse reads a template in YAML (JSON is YAML too).
func Parse(body []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("parse template: empty document")
	}
	v, err := convert(root.Content[0])
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: the document is not a mapping")
	}
	t := &Template{Raw: doc, Parameters: map[string]map[string]any{}, Resources: map[string]Resource{},
		Outputs: map[string]map[string]any{}, Conditions: map[string]any{}}
	t.Description, _ = doc["Description"].(string)
	t.Metadata, _ = doc["Metadata"].(map[string]any)
	if c, ok := doc["Conditions"].(map[string]any); ok {
		t.Conditions = c
	}
	for name, p := range asMap(doc["Parameters"]) {
		t.Parameters[name] = asMap(p)
	}
	for name, o := range asMap(doc["Outputs"]) {
		t.Outputs[name] = asMap(o)
	}
	for name, r := range asMap(doc["Resources"]) {
		m := asMap(r)
		res := Resource{Raw: m, Properties: asMap(m["Properties"])}
		res.Type, _ = m["Type"].(string)
		res.Condition, _ = m["Condition"].(string)
		if res.Type == "" {
			return nil, fmt.Errorf("parse template: resource %s has no Type", name)
		}
		t.Resources[name] = res
	}
	return t, nil
}

// OfType returns the names of the resources of one type.
func (t *Template) OfType(typ string) []string {
	var out []string
	for name, r := range t.Resources {
		if r.Type == typ {
			out = append(out, name)
		}
	}
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// functions maps short tags to their long names.
var functions = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!If": "Fn::If", "!Equals": "Fn::Equals", "!Not": "Fn::Not",
	"!And": "Fn::And", "!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap", "!Base64": "Fn::Base64",
	"!GetAZs": "Fn::GetAZs", "!ImportValue": "Fn::ImportValue", "!Cidr": "Fn::Cidr",
	"!Transform": "Fn::Transform", "!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length",
}

func convert(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return convert(n.Alias)
	}
	if fn, ok := functions[n.Tag]; ok {
		var arg any
		var err error
		switch {
		case n.Kind == yaml.ScalarNode && fn == "Fn::GetAtt":
			res, attr, found := strings.Cut(n.Value, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, n.Value)
			}
			arg = []any{res, attr}
		case n.Kind == yaml.ScalarNode:
			arg = n.Value
		default:
			c := *n
			c.Tag = ""
			if arg, err = convert(&c); err != nil {
				return nil, err
			}
		}
		return map[string]any{fn: arg}, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			v, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		if n.Tag == "!!timestamp" || n.Tag == "" { // CloudFormation reads dates as text
			return n.Value, nil
		}
		var v any
		c := *n
		if err := c.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// JSON renders a parsed value (a policy document, a Sub body) as indented JSON, for
// messages.
func JSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
