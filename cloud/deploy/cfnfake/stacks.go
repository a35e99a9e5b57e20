package cfnfake

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

type stack struct {
	name, id, status, reason string
	params, tags, outputs    map[string]string
	resources                map[string]*resource
	events                   []event // revealed, oldest first
	pending                  []event // still to be revealed
	created                  time.Time
	afterOutputs             map[string]string
}

type resource struct {
	logical, typ, physical, status, reason string
	at                                     time.Time
}

type event struct {
	id                                              string
	logical, typ, physical, status, reason, stackID string
	at                                              time.Time
	stack                                           bool
}

type changeSet struct {
	id, name, kind string
	st             *stack
	answer         ChangeSet
	params, tags   map[string]string
	polls          int
	executed       bool
	script         Script
}

func (s *Server) nextID() string {
	s.ids++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", s.ids, s.ids)
}

func (s *Server) newStack(name string) *stack {
	id := "arn:aws:cloudformation:" + Region + ":" + Account + ":stack/" + name + "/" + s.nextID()
	k := &stack{name: name, id: id, params: map[string]string{}, tags: map[string]string{}, outputs: map[string]string{},
		resources: map[string]*resource{}, created: s.clock}
	s.stacks[name], s.byID[id] = k, k
	return k
}

func (k *stack) shortID() string { return k.id[len(k.id)-6:] }

// record adds a revealed event and applies it.
func (k *stack) record(s *Server, e Event) {
	s.clock = s.clock.Add(time.Second)
	at := s.clock
	ev := event{id: s.nextID(), logical: e.LogicalID, typ: e.Type, physical: e.PhysicalID, status: e.Status, reason: e.Reason, stackID: k.id, at: at}
	k.apply(ev)
}

func (k *stack) apply(ev event) {
	if ev.logical == "" || ev.logical == "-" {
		ev.stack, ev.logical, ev.typ, ev.physical = true, k.name, "AWS::CloudFormation::Stack", k.id
		k.status, k.reason = ev.status, ev.reason
	} else {
		r := k.resources[ev.logical]
		if r == nil {
			r = &resource{logical: ev.logical, typ: ev.typ, physical: ev.physical}
			k.resources[ev.logical] = r
		}
		if ev.physical == "" {
			if r.physical == "" && !strings.HasSuffix(ev.status, "_IN_PROGRESS") && ev.status != "CREATE_FAILED" {
				r.physical = k.name + "-" + ev.logical + "-" + k.shortID()
			}
			ev.physical = r.physical
		}
		if ev.typ == "" {
			ev.typ = r.typ
		}
		r.status, r.reason, r.at, r.typ = ev.status, ev.reason, ev.at, ev.typ
		if ev.status == "DELETE_COMPLETE" {
			delete(k.resources, ev.logical)
		}
	}
	k.events = append(k.events, ev)
}

// play schedules an operation's events (revealed as they are polled).
func (s *Server) play(k *stack, evs []Event) {
	base := s.clock
	for _, e := range evs {
		ev := event{logical: e.LogicalID, typ: e.Type, physical: e.PhysicalID, status: e.Status, reason: e.Reason, stackID: k.id, at: base.Add(e.At)}
		k.pending = append(k.pending, ev)
	}
	// The first event (the stack's own IN_PROGRESS) shows at once, as on AWS.
	s.reveal(k, 1)
}

func (s *Server) reveal(k *stack, n int) {
	for ; n > 0 && len(k.pending) > 0; n-- {
		ev := k.pending[0]
		k.pending = k.pending[1:]
		ev.id = s.nextID()
		if ev.at.After(s.clock) {
			s.clock = ev.at
		}
		k.apply(ev)
	}
	if len(k.pending) == 0 && k.afterOutputs != nil {
		k.outputs, k.afterOutputs = k.afterOutputs, nil
	}
	if k.status == "DELETE_COMPLETE" && len(k.pending) == 0 {
		delete(s.stacks, k.name)
	}
}

// resourceDone is a resource's status in a stack that settled in st.
func resourceDone(st string) string {
	switch {
	case strings.HasPrefix(st, "UPDATE"):
		return "UPDATE_COMPLETE"
	case strings.HasPrefix(st, "ROLLBACK"):
		return "DELETE_COMPLETE"
	}
	return "CREATE_COMPLETE"
}

func next(queues map[string][]Script, name string) Script {
	q := queues[name]
	if len(q) == 0 {
		return Script{}
	}
	queues[name] = q[1:]
	return q[0]
}

// find returns the stack by name (live) or id (also deleted ones).
func (s *Server) find(nameOrID string) *stack {
	if k := s.byID[nameOrID]; k != nil {
		return k
	}
	return s.stacks[nameOrID]
}

func notFound(name string) *APIError { return validation("Stack with id " + name + " does not exist") }

func (s *Server) createChangeSet(f url.Values) (any, *APIError) {
	name, kind := f.Get("StackName"), f.Get("ChangeSetType")
	if kind == "" {
		kind = "UPDATE"
	}
	k := s.stacks[name]
	switch {
	case kind == "CREATE" && k != nil && k.status != "REVIEW_IN_PROGRESS":
		return nil, &APIError{Status: 400, Code: "AlreadyExistsException", Message: "Stack [" + name + "] already exists"}
	case kind == "UPDATE" && k == nil:
		return nil, notFound(name)
	case kind == "UPDATE" && k.status == "ROLLBACK_COMPLETE":
		return nil, validation("Stack:" + k.id + " is in ROLLBACK_COMPLETE state and can not be updated.")
	case kind == "UPDATE" && strings.HasSuffix(k.status, "_IN_PROGRESS"):
		return nil, validation("Stack:" + k.id + " is in " + k.status + " state and can not be updated.")
	}
	if k == nil {
		k = s.newStack(name)
		k.record(s, Event{Status: "REVIEW_IN_PROGRESS", Reason: "User Initiated"})
	}
	sc := next(s.scripts, name)
	cs := &changeSet{id: "arn:aws:cloudformation:" + Region + ":" + Account + ":changeSet/" + f.Get("ChangeSetName") + "/" + s.nextID(),
		name: f.Get("ChangeSetName"), kind: kind, st: k, params: map[string]string{}, tags: map[string]string{}, script: sc}
	if sc.ChangeSet != nil {
		cs.answer = *sc.ChangeSet
	}
	for _, p := range members(f, "Parameters", "ParameterKey", "ParameterValue", "UsePreviousValue") {
		v := p["ParameterValue"]
		if p["UsePreviousValue"] == "true" {
			v = k.params[p["ParameterKey"]]
		}
		cs.params[p["ParameterKey"]] = v
	}
	for _, t := range members(f, "Tags", "Key", "Value") {
		cs.tags[t["Key"]] = t["Value"]
	}
	s.sets[cs.id] = cs
	return result("CreateChangeSetResult", struct {
		ID      string `xml:"Id"`
		StackID string `xml:"StackId"`
	}{cs.id, k.id}), nil
}

func (s *Server) changeSetOf(f url.Values) (*changeSet, *APIError) {
	id := f.Get("ChangeSetName")
	if cs := s.sets[id]; cs != nil {
		return cs, nil
	}
	for _, cs := range s.sets {
		if cs.name == id && (cs.st.name == f.Get("StackName") || cs.st.id == f.Get("StackName")) {
			return cs, nil
		}
	}
	return nil, &APIError{Status: 404, Code: "ChangeSetNotFound", Message: "ChangeSet [" + id + "] does not exist"}
}

func (s *Server) describeChangeSet(f url.Values) (any, *APIError) {
	cs, err := s.changeSetOf(f)
	if err != nil {
		return nil, err
	}
	out := changeSetXML{ChangeSetName: cs.name, ChangeSetID: cs.id, StackID: cs.st.id, StackName: cs.st.name,
		Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE", CreationTime: s.clock.Format(time.RFC3339)}
	switch {
	case cs.polls < cs.answer.Polls:
		cs.polls++
		out.Status, out.ExecutionStatus = "CREATE_IN_PROGRESS", "UNAVAILABLE"
	case cs.answer.Status == "FAILED":
		out.Status, out.ExecutionStatus, out.StatusReason = "FAILED", "UNAVAILABLE", cs.answer.Reason
	case cs.executed:
		out.ExecutionStatus = "EXECUTE_COMPLETE"
	}
	out.Parameters = sortedEntries(cs.params, func(k, v string) paramXML { return paramXML{Key: k, Value: v} })
	out.Tags = sortedEntries(cs.tags, func(k, v string) tagXML { return tagXML{Key: k, Value: v} })
	if out.Status == "CREATE_COMPLETE" {
		var all []changeXML
		for _, c := range cs.answer.Changes {
			all = append(all, c.xml())
		}
		out.Changes, out.NextToken = page(all, f.Get("NextToken"), s.PageSize)
	}
	return result("DescribeChangeSetResult", out), nil
}

func (s *Server) executeChangeSet(f url.Values) (any, *APIError) {
	cs, err := s.changeSetOf(f)
	if err != nil {
		return nil, err
	}
	if cs.answer.Status == "FAILED" || cs.executed || cs.polls < cs.answer.Polls {
		return nil, &APIError{Status: 400, Code: "InvalidChangeSetStatus", Message: "ChangeSet [" + cs.id + "] cannot be executed in its current status"}
	}
	cs.executed = true
	k := cs.st
	k.params, k.tags = cs.params, cs.tags
	evs := cs.script.Execute
	if len(evs) == 0 {
		evs = defaultRun(cs)
	}
	if cs.script.Outputs != nil {
		k.afterOutputs = copyMap(cs.script.Outputs)
	}
	s.play(k, evs)
	// Executing a change set removes the stack's other change sets.
	for id, o := range s.sets {
		if o.st == k && o != cs {
			delete(s.sets, id)
		}
	}
	return result("ExecuteChangeSetResult", nil), nil
}

// defaultRun: every change completes.
func defaultRun(cs *changeSet) []Event {
	op := "UPDATE"
	if cs.kind == "CREATE" {
		op = "CREATE"
	}
	evs := []Event{{Status: op + "_IN_PROGRESS", Reason: "User Initiated"}}
	for i, c := range cs.answer.Changes {
		st := map[string]string{"Add": "CREATE", "Modify": "UPDATE", "Remove": "DELETE"}[c.Action]
		at := time.Duration(i+1) * time.Second
		evs = append(evs, Event{At: at, LogicalID: c.LogicalID, Type: c.Type, Status: st + "_IN_PROGRESS"},
			Event{At: at + 2*time.Second, LogicalID: c.LogicalID, Type: c.Type, Status: st + "_COMPLETE"})
	}
	return append(evs, Event{At: time.Duration(len(cs.answer.Changes)+3) * time.Second, Status: op + "_COMPLETE"})
}

func (s *Server) deleteChangeSet(f url.Values) (any, *APIError) {
	cs, err := s.changeSetOf(f)
	if err != nil {
		return nil, err
	}
	delete(s.sets, cs.id)
	return result("DeleteChangeSetResult", nil), nil
}

func (s *Server) deleteStack(f url.Values) (any, *APIError) {
	k := s.find(f.Get("StackName"))
	if k == nil || k.status == "DELETE_COMPLETE" {
		return result("DeleteStackResult", nil), nil // deleting what is gone succeeds
	}
	for id, cs := range s.sets {
		if cs.st == k {
			delete(s.sets, id)
		}
	}
	if k.status == "REVIEW_IN_PROGRESS" {
		k.record(s, Event{Status: "DELETE_COMPLETE"})
		delete(s.stacks, k.name)
		return result("DeleteStackResult", nil), nil
	}
	evs := next(s.deletes, k.name).Delete
	if len(evs) == 0 {
		evs = []Event{{Status: "DELETE_IN_PROGRESS", Reason: "User Initiated"}}
		i := 0
		for _, l := range sortedResourceKeys(k.resources) {
			r := k.resources[l]
			if r.status == "DELETE_SKIPPED" {
				continue // kept when the stack rolled back: no longer the stack's
			}
			i++
			evs = append(evs, Event{At: time.Duration(i) * time.Second, LogicalID: l, Type: r.typ, Status: "DELETE_IN_PROGRESS"},
				Event{At: time.Duration(i)*time.Second + time.Second, LogicalID: l, Type: r.typ, Status: "DELETE_COMPLETE"})
		}
		evs = append(evs, Event{At: time.Duration(i+2) * time.Second, Status: "DELETE_COMPLETE"})
	}
	s.play(k, evs)
	return result("DeleteStackResult", nil), nil
}

func sortedResourceKeys(m map[string]*resource) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

func (s *Server) describeStacks(f url.Values) (any, *APIError) {
	var ks []*stack
	if name := f.Get("StackName"); name != "" {
		k := s.find(name)
		if k == nil {
			return nil, notFound(name)
		}
		ks = append(ks, k)
	} else {
		for _, name := range slices.Sorted(maps.Keys(s.stacks)) {
			ks = append(ks, s.stacks[name])
		}
	}
	var all []stackXML
	for _, k := range ks {
		all = append(all, k.xml())
	}
	out, next := page(all, f.Get("NextToken"), s.PageSize)
	return result("DescribeStacksResult", struct {
		Stacks    []stackXML `xml:"Stacks>member"`
		NextToken string     `xml:"NextToken,omitempty"`
	}{out, next}), nil
}

func (s *Server) describeStackEvents(f url.Values) (any, *APIError) {
	k := s.find(f.Get("StackName"))
	if k == nil {
		return nil, notFound(f.Get("StackName"))
	}
	if f.Get("NextToken") == "" {
		s.reveal(k, s.Reveal)
	}
	var all []eventXML // newest first
	for i := len(k.events) - 1; i >= 0; i-- {
		all = append(all, k.events[i].xml(k.name))
	}
	out, next := page(all, f.Get("NextToken"), s.PageSize)
	return result("DescribeStackEventsResult", struct {
		StackEvents []eventXML `xml:"StackEvents>member"`
		NextToken   string     `xml:"NextToken,omitempty"`
	}{out, next}), nil
}

func (s *Server) listStackResources(f url.Values) (any, *APIError) {
	k := s.find(f.Get("StackName"))
	if k == nil {
		return nil, notFound(f.Get("StackName"))
	}
	var all []resourceXML
	for _, l := range sortedResourceKeys(k.resources) {
		r := k.resources[l]
		all = append(all, resourceXML{LogicalResourceID: r.logical, PhysicalResourceID: r.physical, ResourceType: r.typ,
			ResourceStatus: r.status, ResourceStatusReason: r.reason, LastUpdatedTimestamp: r.at.Format(time.RFC3339)})
	}
	out, next := page(all, f.Get("NextToken"), s.PageSize)
	return result("ListStackResourcesResult", struct {
		Summaries []resourceXML `xml:"StackResourceSummaries>member"`
		NextToken string        `xml:"NextToken,omitempty"`
	}{out, next}), nil
}

func (s *Server) describeAccountLimits() (any, *APIError) {
	type limit struct {
		Name  string `xml:"Name"`
		Value int32  `xml:"Value"`
	}
	out := sortedEntries(s.limits, func(k string, v int32) limit { return limit{k, v} })
	return result("DescribeAccountLimitsResult", struct {
		Limits []limit `xml:"AccountLimits>member"`
	}{out}), nil
}
