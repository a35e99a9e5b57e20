package cfnfake

import (
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// The XML shapes of the query protocol's answers (the fields the SDK reads).

type paramXML struct {
	Key   string `xml:"ParameterKey"`
	Value string `xml:"ParameterValue"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type outputXML struct {
	Key   string `xml:"OutputKey"`
	Value string `xml:"OutputValue"`
}

type stackXML struct {
	StackName         string      `xml:"StackName"`
	StackID           string      `xml:"StackId"`
	StackStatus       string      `xml:"StackStatus"`
	StackStatusReason string      `xml:"StackStatusReason,omitempty"`
	CreationTime      string      `xml:"CreationTime"`
	Parameters        []paramXML  `xml:"Parameters>member"`
	Tags              []tagXML    `xml:"Tags>member"`
	Outputs           []outputXML `xml:"Outputs>member"`
}

func (k *stack) xml() stackXML {
	x := stackXML{StackName: k.name, StackID: k.id, StackStatus: k.status, StackStatusReason: k.reason, CreationTime: k.created.Format(time.RFC3339)}
	x.Parameters = sortedEntries(k.params, func(n, v string) paramXML { return paramXML{n, v} })
	x.Tags = sortedEntries(k.tags, func(n, v string) tagXML { return tagXML{n, v} })
	if strings.HasSuffix(k.status, "_COMPLETE") && !strings.Contains(k.status, "ROLLBACK") {
		x.Outputs = sortedEntries(k.outputs, func(n, v string) outputXML { return outputXML{n, v} })
	}
	return x
}

type eventXML struct {
	StackID              string `xml:"StackId"`
	EventID              string `xml:"EventId"`
	StackName            string `xml:"StackName"`
	LogicalResourceID    string `xml:"LogicalResourceId"`
	PhysicalResourceID   string `xml:"PhysicalResourceId,omitempty"`
	ResourceType         string `xml:"ResourceType"`
	Timestamp            string `xml:"Timestamp"`
	ResourceStatus       string `xml:"ResourceStatus"`
	ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
}

func (e event) xml(stackName string) eventXML {
	return eventXML{StackID: e.stackID, EventID: e.id, StackName: stackName, LogicalResourceID: e.logical, PhysicalResourceID: e.physical,
		ResourceType: e.typ, Timestamp: e.at.Format(time.RFC3339Nano), ResourceStatus: e.status, ResourceStatusReason: e.reason}
}

type resourceXML struct {
	LogicalResourceID    string `xml:"LogicalResourceId"`
	PhysicalResourceID   string `xml:"PhysicalResourceId,omitempty"`
	ResourceType         string `xml:"ResourceType"`
	LastUpdatedTimestamp string `xml:"LastUpdatedTimestamp"`
	ResourceStatus       string `xml:"ResourceStatus"`
	ResourceStatusReason string `xml:"ResourceStatusReason,omitempty"`
}

type changeSetXML struct {
	ChangeSetName   string      `xml:"ChangeSetName"`
	ChangeSetID     string      `xml:"ChangeSetId"`
	StackID         string      `xml:"StackId"`
	StackName       string      `xml:"StackName"`
	Status          string      `xml:"Status"`
	StatusReason    string      `xml:"StatusReason,omitempty"`
	ExecutionStatus string      `xml:"ExecutionStatus"`
	CreationTime    string      `xml:"CreationTime"`
	Parameters      []paramXML  `xml:"Parameters>member"`
	Tags            []tagXML    `xml:"Tags>member"`
	Changes         []changeXML `xml:"Changes>member"`
	NextToken       string      `xml:"NextToken,omitempty"`
}

type changeXML struct {
	Type           string            `xml:"Type"`
	ResourceChange resourceChangeXML `xml:"ResourceChange"`
}

type resourceChangeXML struct {
	Action             string      `xml:"Action"`
	LogicalResourceID  string      `xml:"LogicalResourceId"`
	PhysicalResourceID string      `xml:"PhysicalResourceId,omitempty"`
	ResourceType       string      `xml:"ResourceType"`
	Replacement        string      `xml:"Replacement,omitempty"`
	Scope              []string    `xml:"Scope>member"`
	Details            []detailXML `xml:"Details>member"`
}

type detailXML struct {
	Target struct {
		Attribute          string `xml:"Attribute"`
		Name               string `xml:"Name,omitempty"`
		RequiresRecreation string `xml:"RequiresRecreation,omitempty"`
	} `xml:"Target"`
	Evaluation    string `xml:"Evaluation"`
	ChangeSource  string `xml:"ChangeSource,omitempty"`
	CausingEntity string `xml:"CausingEntity,omitempty"`
}

func (c Change) xml() changeXML {
	x := changeXML{Type: "Resource", ResourceChange: resourceChangeXML{Action: c.Action, LogicalResourceID: c.LogicalID,
		PhysicalResourceID: c.PhysicalID, ResourceType: c.Type, Replacement: c.Replacement, Scope: c.Scope}}
	for _, d := range c.Details {
		var dx detailXML
		dx.Target.Attribute, dx.Target.Name, dx.Target.RequiresRecreation = d.Attribute, d.Name, d.RequiresRecreation
		dx.Evaluation, dx.ChangeSource, dx.CausingEntity = "Static", d.ChangeSource, d.CausingEntity
		x.ResourceChange.Details = append(x.ResourceChange.Details, dx)
	}
	return x
}

type callerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// --- IAM -------------------------------------------------------------------------------

type evalXML struct {
	EvalActionName   string `xml:"EvalActionName"`
	EvalResourceName string `xml:"EvalResourceName"`
	EvalDecision     string `xml:"EvalDecision"`
}

func (s *Server) simulate(f url.Values) (any, *APIError) {
	if s.simErr != nil {
		return nil, s.simErr
	}
	if !strings.Contains(f.Get("PolicySourceArn"), ":iam::") {
		return nil, &APIError{Status: 400, Code: "InvalidInput", Message: "Invalid ARN: " + f.Get("PolicySourceArn")}
	}
	resources := list(f, "ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var out []evalXML
	for _, a := range list(f, "ActionNames") {
		d := s.decisions[strings.ToLower(a)]
		if d == "" {
			d = "allowed"
		}
		for _, r := range resources {
			out = append(out, evalXML{EvalActionName: a, EvalResourceName: r, EvalDecision: d})
		}
	}
	return result("SimulatePrincipalPolicyResult", struct {
		Results     []evalXML `xml:"EvaluationResults>member"`
		IsTruncated bool      `xml:"IsTruncated"`
	}{out, false}), nil
}

func (s *Server) getRole(f url.Values) (any, *APIError) {
	name := f.Get("RoleName")
	arn, ok := s.roles[name]
	if !ok {
		return nil, &APIError{Status: 404, Code: "NoSuchEntity", Message: "The role with name " + name + " cannot be found."}
	}
	path := "/"
	if i, j := strings.Index(arn, ":role/"), strings.LastIndex(arn, "/"); i >= 0 && j > i+5 {
		path = arn[i+5 : j+1]
	}
	type role struct {
		Path       string `xml:"Path"`
		RoleName   string `xml:"RoleName"`
		RoleID     string `xml:"RoleId"`
		Arn        string `xml:"Arn"`
		CreateDate string `xml:"CreateDate"`
	}
	return result("GetRoleResult", struct {
		Role role `xml:"Role"`
	}{role{path, name, "AROAEXAMPLE", arn, s.clock.Format(time.RFC3339)}}), nil
}

func (s *Server) accountSummary() (any, *APIError) {
	type entry struct {
		Key   string `xml:"key"`
		Value int32  `xml:"value"`
	}
	out := sortedEntries(s.summary, func(k string, v int32) entry { return entry{k, v} })
	return result("GetAccountSummaryResult", struct {
		Entries []entry `xml:"SummaryMap>entry"`
	}{out}), nil
}

func sortStrings(s []string) { sort.Strings(s) }

// sortedEntries lists a map as the API does, one entry per key in key order (stable
// answers, and what tests compare).
func sortedEntries[V, E any](m map[string]V, entry func(string, V) E) []E {
	var out []E
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, entry(k, m[k]))
	}
	return out
}
