// Package cfnfake is a replaying fake of the CloudFormation, IAM and STS APIs: an HTTP
// server speaking the AWS query protocol the SDK uses (form-encoded requests, XML
// answers and errors), so the deployer's real SDK clients, paging and error decoding
// are exercised. Point aws.Config.BaseEndpoint at Server.URL.
//
// The AWS emulator creates stacks synchronously and writes stack-level events only; it
// never fails a stack, rolls back, lists parameter changes or simulates IAM policies.
// This fake plays what the emulator cannot: each operation on a stack replays a
// scripted sequence of stack events in the shape AWS writes them (per-resource
// CREATE_IN_PROGRESS/CREATE_COMPLETE, CREATE_FAILED with the "Resource creation
// cancelled" cascade, ROLLBACK_IN_PROGRESS/ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE,
// DELETE_SKIPPED for retained resources), revealed a few at a time as they are polled;
// a change set answers with scripted changes; SimulatePrincipalPolicy with scripted
// decisions. Scripts are Go values or text files (ParseEvents, LoadScript).
package cfnfake

import (
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Account and Region of the fake.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Event is one stack event of a script. LogicalID "" (or "-") is the stack itself.
type Event struct {
	// At is the event's time after the operation started.
	At         time.Duration
	LogicalID  string
	Type       string
	Status     string
	Reason     string
	PhysicalID string
}

// Change is one resource change of a change set.
type Change struct {
	Action      string // Add, Modify, Remove
	LogicalID   string
	PhysicalID  string
	Type        string
	Replacement string // True, False, Conditional
	Scope       []string
	Details     []Detail
}

// Detail is one attribute of a Modify.
type Detail struct {
	Attribute, Name, RequiresRecreation, ChangeSource, CausingEntity string
}

// ChangeSet is how the next CreateChangeSet on a stack answers.
type ChangeSet struct {
	// Status: CREATE_COMPLETE (default) or FAILED with Reason.
	Status, Reason string
	Changes        []Change
	// Polls: DescribeChangeSet answers CREATE_IN_PROGRESS this many times first.
	Polls int
}

// Script is what the next operations on one stack play.
type Script struct {
	ChangeSet *ChangeSet
	// Execute: the events after ExecuteChangeSet (the last stack event is the status
	// the stack settles in).
	Execute []Event
	// Delete: the events after DeleteStack (default: DELETE_IN_PROGRESS, each resource
	// DELETE_COMPLETE, DELETE_COMPLETE).
	Delete []Event
	// Outputs the stack has after the operation.
	Outputs map[string]string
}

// Stack is a stack that exists before the test starts.
type Stack struct {
	Name       string
	Status     string
	Parameters map[string]string
	Tags       map[string]string
	Outputs    map[string]string
	// Resources: logical id → type (their status is the stack's operation's COMPLETE).
	Resources map[string]string
	// History: the stack's past events (oldest first), e.g. a failed creation's.
	History []Event
}

// Identity is who GetCallerIdentity says the caller is.
type Identity struct{ Account, Arn, UserID string }

// Call is one request the fake answered.
type Call struct {
	Action string
	Form   url.Values
}

// Server is the fake.
type Server struct {
	URL string
	// Reveal: events a DescribeStackEvents call reveals of a running operation
	// (default 2); PageSize: events and changes per page (default 5), so paging is
	// exercised.
	Reveal, PageSize int

	srv     *httptest.Server
	mu      sync.Mutex
	stacks  map[string]*stack // live stacks by name
	byID    map[string]*stack
	sets    map[string]*changeSet
	scripts map[string][]Script // change sets (and what executing them plays)
	deletes map[string][]Script // what DeleteStack plays
	ids     int
	clock   time.Time

	identity  Identity
	decisions map[string]string // action → allowed | implicitDeny | explicitDeny
	simErr    *APIError
	roles     map[string]string // role name → ARN
	summary   map[string]int32
	limits    map[string]int32
	calls     []Call
}

// APIError is an error answer: HTTP status, code and message.
type APIError struct {
	Status        int
	Code, Message string
}

// New starts the fake; Close stops it.
func New() *Server {
	s := &Server{Reveal: 2, PageSize: 5, stacks: map[string]*stack{}, byID: map[string]*stack{}, sets: map[string]*changeSet{},
		scripts: map[string][]Script{}, deletes: map[string][]Script{}, clock: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		identity:  Identity{Account: Account, Arn: "arn:aws:iam::" + Account + ":user/deployer", UserID: "AIDAEXAMPLE"},
		decisions: map[string]string{}, roles: map[string]string{}, summary: map[string]int32{}, limits: map[string]int32{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Config is an SDK configuration whose clients reach the fake.
func (s *Server) Config() aws.Config {
	return aws.Config{Region: Region, Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake", ""),
		BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1}
}

// Expect queues a script for the next operations on the stack name: its change set and
// execution for the next CreateChangeSet, its Delete for the next DeleteStack.
func (s *Server) Expect(name string, sc Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc.ChangeSet != nil || len(sc.Execute) > 0 || sc.Outputs != nil {
		s.scripts[name] = append(s.scripts[name], sc)
	}
	if len(sc.Delete) > 0 {
		s.deletes[name] = append(s.deletes[name], Script{Delete: sc.Delete})
	}
}

// AddStack makes a stack that exists already.
func (s *Server) AddStack(st Stack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.newStack(st.Name)
	k.status = st.Status
	k.params, k.tags, k.outputs = copyMap(st.Parameters), copyMap(st.Tags), copyMap(st.Outputs)
	for l, typ := range st.Resources {
		k.resources[l] = &resource{logical: l, typ: typ, physical: l + "-" + k.shortID(), status: resourceDone(st.Status)}
	}
	for _, e := range st.History {
		k.record(s, e)
	}
}

// SetIdentity sets who the caller is.
func (s *Server) SetIdentity(id Identity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identity = id
}

// Decide sets SimulatePrincipalPolicy's decision for actions (default "allowed").
func (s *Server) Decide(decision string, actions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range actions {
		s.decisions[strings.ToLower(a)] = decision
	}
}

// FailSimulation makes SimulatePrincipalPolicy answer an error (nil: answer again).
func (s *Server) FailSimulation(e *APIError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.simErr = e
}

// AddRole makes a role GetRole knows (arn is its whole ARN, path included).
func (s *Server) AddRole(name, arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[name] = arn
}

// SetAccountSummary sets GetAccountSummary's map (Roles, RolesQuota, ...).
func (s *Server) SetAccountSummary(m map[string]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.summary = m
}

// SetLimits sets DescribeAccountLimits' answer (StackLimit, StackOutputsLimit).
func (s *Server) SetLimits(m map[string]int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = m
}

// Calls returns the requests answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Count counts the calls of one action.
func (s *Server) Count(action string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Action == action {
			n++
		}
	}
	return n
}

// StackStatus is a stack's status ("" when there is none by that name).
func (s *Server) StackStatus(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.stacks[name]; k != nil {
		return k.status
	}
	return ""
}

// StackParameters are a stack's current parameters.
func (s *Server) StackParameters(name string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.stacks[name]; k != nil {
		return copyMap(k.params)
	}
	return nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveJSON(w, target)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.Form.Get("Action")
	s.mu.Lock()
	s.calls = append(s.calls, Call{Action: action, Form: r.Form})
	result, apiErr := s.handle(action, r.Form)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	if apiErr != nil {
		w.WriteHeader(apiErr.Status)
		_ = xml.NewEncoder(w).Encode(errorResponse{Error: errorBody{Type: "Sender", Code: apiErr.Code, Message: apiErr.Message}, RequestID: "fake-request"})
		return
	}
	body, err := xml.Marshal(result)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, `<%[1]sResponse xmlns="%[2]s">%[3]s<ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></%[1]sResponse>`,
		action, namespace(action), body)
}

// serveJSON answers the one JSON-protocol read the deployer makes around a new
// control plane: DynamoDB's ListTables (no tables: no kept tasks table to adopt).
func (s *Server) serveJSON(w http.ResponseWriter, target string) {
	s.mu.Lock()
	s.calls = append(s.calls, Call{Action: target})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	body, status := `{"TableNames":[]}`, http.StatusOK
	if target != "DynamoDB_20120810.ListTables" {
		body, status = fmt.Sprintf(`{"__type":"UnknownOperationException","message":"the fake does not know %s"}`, target), http.StatusBadRequest
	}
	w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE([]byte(body)))) // DynamoDB's clients check it
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func namespace(action string) string {
	switch action {
	case "GetCallerIdentity":
		return "https://sts.amazonaws.com/doc/2011-06-15/"
	case "SimulatePrincipalPolicy", "GetRole", "GetAccountSummary":
		return "https://iam.amazonaws.com/doc/2010-05-08/"
	}
	return "http://cloudformation.amazonaws.com/doc/2010-05-15/"
}

func (s *Server) handle(action string, f url.Values) (any, *APIError) {
	byForm := map[string]func(url.Values) (any, *APIError){
		"CreateChangeSet":         s.createChangeSet,
		"DescribeChangeSet":       s.describeChangeSet,
		"ExecuteChangeSet":        s.executeChangeSet,
		"DeleteChangeSet":         s.deleteChangeSet,
		"DescribeStacks":          s.describeStacks,
		"DescribeStackEvents":     s.describeStackEvents,
		"ListStackResources":      s.listStackResources,
		"DeleteStack":             s.deleteStack,
		"SimulatePrincipalPolicy": s.simulate,
		"GetRole":                 s.getRole,
	}
	if h, ok := byForm[action]; ok {
		return h(f)
	}
	switch action {
	case "DescribeAccountLimits":
		return s.describeAccountLimits()
	case "GetCallerIdentity":
		return result("GetCallerIdentityResult", callerIdentity{Arn: s.identity.Arn, UserID: s.identity.UserID, Account: s.identity.Account}), nil
	case "GetAccountSummary":
		return s.accountSummary()
	}
	return nil, &APIError{Status: 400, Code: "InvalidAction", Message: "the fake does not know " + action}
}

// result wraps a result element: <NameResult>...</NameResult>.
func result(name string, v any) any { return wrapped{XMLName: xml.Name{Local: name}, V: v} }

type wrapped struct {
	XMLName xml.Name
	V       any
}

func (w wrapped) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name = w.XMLName
	if w.V == nil {
		return e.EncodeElement(struct{}{}, start)
	}
	return e.EncodeElement(w.V, start)
}

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func validation(msg string) *APIError {
	return &APIError{Status: 400, Code: "ValidationError", Message: msg}
}

func copyMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// members reads a list of structures: prefix.member.N.field.
func members(f url.Values, prefix string, fields ...string) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		m := map[string]string{}
		found := false
		for _, fl := range fields {
			k := prefix + ".member." + strconv.Itoa(i) + "." + fl
			if v, ok := f[k]; ok {
				m[fl] = v[0]
				found = true
			}
		}
		if !found {
			return out
		}
		out = append(out, m)
	}
}

// list reads a list of strings: prefix.member.N.
func list(f url.Values, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f[prefix+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// page cuts items at token (an offset) into one page and the next token.
func page[T any](items []T, token string, size int) ([]T, string) {
	start, _ := strconv.Atoi(token)
	if start > len(items) {
		start = len(items)
	}
	end := min(start+size, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}
