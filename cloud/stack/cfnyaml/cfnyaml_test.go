package cfnyaml

import (
	"fmt"
	"strings"
	"testing"
)

func TestShortTagsBecomeLongForm(t *testing.T) {
	doc, err := Parse([]byte(`
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Name: {Type: String, Default: x}
Conditions:
  HasName: !Not [!Equals [!Ref Name, ""]]
Resources:
  Q:
    Type: AWS::SQS::Queue
    Condition: HasName
    DeletionPolicy: Retain
    Properties:
      QueueName: !Sub "${Name}-q"
      Tags:
        - {Key: a, Value: !GetAtt Other.Arn}
        - {Key: b, Value: !Select [0, !Split [",", !Join [",", [a, b]]]]}
        - {Key: c, Value: !If [HasName, !Base64 "x", !Ref "AWS::NoValue"]}
        - {Key: d, Value: 2012-10-17}
Outputs:
  Url: {Value: !Ref Q}
`))
	if err != nil {
		t.Fatal(err)
	}
	q := doc.Resources["Q"]
	if q.Type != "AWS::SQS::Queue" || q.Condition != "HasName" || q.Raw["DeletionPolicy"] != "Retain" {
		t.Errorf("resource %+v", q)
	}
	for _, c := range []struct {
		got  any
		want string
	}{
		{q.Properties["QueueName"], `map[Fn::Sub:${Name}-q]`},
		{q.Properties["Tags"].([]any)[0].(map[string]any)["Value"], `map[Fn::GetAtt:[Other Arn]]`},
		{q.Properties["Tags"].([]any)[1].(map[string]any)["Value"], `map[Fn::Select:[0 map[Fn::Split:[, map[Fn::Join:[, [a b]]]]]]]`},
		{q.Properties["Tags"].([]any)[2].(map[string]any)["Value"], `map[Fn::If:[HasName map[Fn::Base64:x] map[Ref:AWS::NoValue]]]`},
		{q.Properties["Tags"].([]any)[3].(map[string]any)["Value"], `2012-10-17`},
		{doc.Conditions["HasName"], `map[Fn::Not:[map[Fn::Equals:[map[Ref:Name] ]]]]`},
		{doc.Outputs["Url"]["Value"], `map[Ref:Q]`},
	} {
		if got := fmt.Sprint(c.got); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
	if len(doc.OfType("AWS::SQS::Queue")) != 1 || doc.Parameters["Name"]["Default"] != "x" {
		t.Errorf("OfType/Parameters: %v %v", doc.OfType("AWS::SQS::Queue"), doc.Parameters)
	}
}

func TestParseRefusesBrokenTemplates(t *testing.T) {
	for body, want := range map[string]string{
		"Resources:\n  A: {Type: X, Properties: {V: !Bogus x}}\n":      "unknown tag !Bogus",
		"Resources:\n  A: {Properties: {}}\n":                          "has no Type",
		"Resources:\n  A: {Type: X}\n  A: {Type: Y}\n":                 "duplicate key",
		"Resources:\n  A: {Type: X, Properties: {V: !GetAtt Nodot}}\n": "not Resource.Attribute",
		"": "empty",
	} {
		if _, err := Parse([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
