package deploy

import (
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// Preview is what a change set would do, in the terms a person reviews it in.
type Preview struct {
	Stack string    `json:"stack"`
	Op    Operation `json:"operation"`
	// Changes are the resources the change set adds, modifies or removes.
	Changes []ResourceChange `json:"changes"`
	// Parameters are the parameters whose value changes (on create: every parameter
	// given a value). CloudFormation does not list them; they come from comparing the
	// stack's current parameters with the new ones.
	Parameters []ValueChange `json:"parameters,omitempty"`
	// Tags that change (the version and template tags tell an upgrade).
	Tags []ValueChange `json:"tags,omitempty"`
	// TemplateChanged: the stack was deployed from another template.
	TemplateChanged bool `json:"templateChanged,omitempty"`
	// VersionChange is the old and new Transfer Hub version when they differ.
	VersionChange *ValueChange `json:"versionChange,omitempty"`
}

// ResourceChange is one resource in a change set.
type ResourceChange struct {
	// Action: Add, Modify, Remove, Import or Dynamic.
	Action     string `json:"action"`
	LogicalID  string `json:"logicalId"`
	PhysicalID string `json:"physicalId,omitempty"`
	Type       string `json:"type"`
	// Replacement: "True" (the resource is replaced: a new physical resource, the old
	// one deleted), "Conditional" (it may be), "False" or empty (for Add/Remove).
	Replacement string `json:"replacement,omitempty"`
	// Scope: what of the resource changes (Properties, Metadata, Tags, ...).
	Scope []string `json:"scope,omitempty"`
	// Details: each attribute that changes and why.
	Details []ChangeDetail `json:"details,omitempty"`
	// IAM: a role, policy, user or instance profile: who may do what changes.
	IAM bool `json:"iam,omitempty"`
	// PolicyAction: what happens to a removed or replaced resource (Delete, Retain, ...).
	PolicyAction string `json:"policyAction,omitempty"`
}

// ChangeDetail is one attribute of a modified resource.
type ChangeDetail struct {
	Attribute string `json:"attribute"`      // Properties, Tags, ...
	Name      string `json:"name,omitempty"` // the property
	// RequiresRecreation: Never, Conditionally or Always.
	RequiresRecreation string `json:"requiresRecreation,omitempty"`
	// ChangeSource: ParameterReference, ResourceReference, DirectModification, ...;
	// CausingEntity the parameter or resource behind it.
	ChangeSource  string `json:"changeSource,omitempty"`
	CausingEntity string `json:"causingEntity,omitempty"`
}

// ValueChange is a parameter or tag that changes.
type ValueChange struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
	// Pending: the new value is made when deploying (a dry run shows a stand-in).
	Pending string `json:"pending,omitempty"`
}

// Counts sums the changes by kind.
type Counts struct {
	Add, Modify, Remove, Replace, IAM int
}

// Counts sums the preview's resource changes.
func (p Preview) Counts() Counts {
	var c Counts
	for _, r := range p.Changes {
		switch r.Action {
		case "Add":
			c.Add++
		case "Remove":
			c.Remove++
		default:
			c.Modify++
		}
		if r.Replacement == "True" || r.Replacement == "Conditional" {
			c.Replace++
		}
		if r.IAM {
			c.IAM++
		}
	}
	return c
}

// Empty: nothing would change.
func (p Preview) Empty() bool {
	return len(p.Changes) == 0 && len(p.Parameters) == 0 && len(p.Tags) == 0
}

// preview turns a change set into a Preview; cur is the stack before (nil: none).
func (d *Deployer) preview(p *Plan, cur *types.Stack, changes []types.Change) Preview {
	pv := Preview{Stack: p.Stack, Op: p.Op, Changes: []ResourceChange{}}
	for _, c := range changes {
		rc := c.ResourceChange
		if rc == nil {
			continue
		}
		r := ResourceChange{
			Action: string(rc.Action), LogicalID: aws.ToString(rc.LogicalResourceId), PhysicalID: aws.ToString(rc.PhysicalResourceId),
			Type: aws.ToString(rc.ResourceType), Replacement: string(rc.Replacement), PolicyAction: string(rc.PolicyAction),
			IAM: strings.HasPrefix(aws.ToString(rc.ResourceType), "AWS::IAM::"),
		}
		for _, s := range rc.Scope {
			r.Scope = append(r.Scope, string(s))
		}
		for _, det := range rc.Details {
			cd := ChangeDetail{ChangeSource: string(det.ChangeSource), CausingEntity: aws.ToString(det.CausingEntity)}
			if t := det.Target; t != nil {
				cd.Attribute, cd.Name, cd.RequiresRecreation = string(t.Attribute), aws.ToString(t.Name), string(t.RequiresRecreation)
			}
			r.Details = append(r.Details, cd)
		}
		pv.Changes = append(pv.Changes, r)
	}
	var oldParams, oldTags map[string]string
	if cur != nil && p.Op == OpUpdate {
		oldParams, oldTags = paramMap(cur.Parameters), tagMap(cur.Tags)
	}
	pv.Parameters = diff(oldParams, paramMap(p.spec.Parameters), p.Op == OpCreate)
	if cur != nil {
		pv.Parameters = withoutUnresolvable(pv.Parameters, cur.Parameters)
	}
	for i := range pv.Parameters {
		pv.Parameters[i].Pending = p.spec.Pending[pv.Parameters[i].Name]
	}
	if p.Op == OpUpdate {
		pv.Tags = diff(oldTags, p.spec.Tags, false)
		pv.TemplateChanged = oldTags[TagTemplate] != p.spec.Tags[TagTemplate]
		if o, n := oldTags[TagVersion], p.spec.Tags[TagVersion]; o != n {
			pv.VersionChange = &ValueChange{Name: TagVersion, Old: o, New: n}
		}
	}
	return pv
}

// diff lists the names whose value differs, sorted. On create only the values given
// (non-empty) are listed.
func diff(old, cur map[string]string, create bool) []ValueChange {
	names := map[string]bool{}
	for k := range old {
		names[k] = true
	}
	for k := range cur {
		names[k] = true
	}
	var out []ValueChange
	for k := range names {
		o, n := old[k], cur[k]
		if o == n || (create && n == "") {
			continue
		}
		if _, given := cur[k]; !given && !create {
			continue // a parameter not given keeps its value (template default)
		}
		out = append(out, ValueChange{Name: k, Old: o, New: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// withoutUnresolvable drops the SSM-typed parameters whose stack value cannot be
// compared: AWS answers such a parameter with the path it was given (and what it
// resolved to as ResolvedValue); an answer with a resolved value only (the AWS
// emulator's) says nothing about the path, so it is not a change.
func withoutUnresolvable(changes []ValueChange, stackParams []types.Parameter) []ValueChange {
	resolvedOnly := map[string]bool{}
	for _, sp := range stackParams {
		v := aws.ToString(sp.ParameterValue)
		resolvedOnly[aws.ToString(sp.ParameterKey)] = sp.ResolvedValue == nil && v != "" && !strings.HasPrefix(v, "/")
	}
	out := changes[:0]
	for _, c := range changes {
		if resolvedOnly[c.Name] && strings.HasPrefix(c.New, "/aws/service/") {
			continue
		}
		out = append(out, c)
	}
	return out
}
