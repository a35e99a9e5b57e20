package cfnfake

import (
	"bufio"
	"embed"
	"fmt"
	"os"
	"strings"
	"time"
)

// A script file reads like CloudFormation's event list, oldest first:
//
//	# a comment
//	[changeset]                 # optional; "status FAILED <reason>" makes it fail
//	Add     Queue     AWS::SQS::Queue
//	Modify  Worker    AWS::EC2::LaunchTemplate  replacement=True scope=Properties detail=Properties/ImageId/Always/ParameterReference/AgentSha256Arm64
//	[execute]                   # the events after ExecuteChangeSet
//	+0s   -      -                 CREATE_IN_PROGRESS  User Initiated
//	+1s   Queue  AWS::SQS::Queue   CREATE_IN_PROGRESS
//	+3s   Queue  AWS::SQS::Queue   CREATE_FAILED       Resource handler returned message: "..."
//	[delete]                    # the events after DeleteStack
//	[outputs]
//	QueueUrl = https://...
//
// "-" as the logical id (and type) is the stack itself.

// LoadScript reads a script file.
func LoadScript(path string) (Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Script{}, err
	}
	sc, err := ParseScript(string(b))
	if err != nil {
		return Script{}, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// ParseScript reads a script.
func ParseScript(text string) (Script, error) {
	var sc Script
	section := ""
	lines := bufio.NewScanner(strings.NewReader(text))
	n := 0
	for lines.Scan() {
		n++
		line := lines.Text()
		if i := strings.Index(line, " #"); i >= 0 && section != "execute" && section != "delete" {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.Trim(line, "[]")
			if section == "changeset" {
				sc.ChangeSet = &ChangeSet{}
			}
			continue
		}
		var err error
		switch section {
		case "changeset":
			err = parseChange(sc.ChangeSet, line)
		case "execute", "delete":
			var e Event
			e, err = ParseEvent(line)
			if section == "execute" {
				sc.Execute = append(sc.Execute, e)
			} else {
				sc.Delete = append(sc.Delete, e)
			}
		case "outputs":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				err = fmt.Errorf("an output is Key = Value")
			}
			if sc.Outputs == nil {
				sc.Outputs = map[string]string{}
			}
			sc.Outputs[strings.TrimSpace(k)] = strings.TrimSpace(v)
		default:
			err = fmt.Errorf("outside a [section]")
		}
		if err != nil {
			return sc, fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc, lines.Err()
}

// ParseEvents reads event lines (the [execute] form), one per line.
func ParseEvents(text string) ([]Event, error) {
	var out []Event
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := ParseEvent(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// ParseEvent reads "+3s Logical Type STATUS reason...".
func ParseEvent(line string) (Event, error) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "+") {
		return Event{}, fmt.Errorf("an event is +<offset> <logical id|-> <type|-> <STATUS> [reason]: %q", line)
	}
	at, err := time.ParseDuration(f[0][1:])
	if err != nil {
		return Event{}, fmt.Errorf("offset %q: %w", f[0], err)
	}
	e := Event{At: at, LogicalID: f[1], Type: f[2], Status: f[3]}
	if e.LogicalID == "-" {
		e.LogicalID, e.Type = "", ""
	}
	if len(f) > 4 {
		// The reason is the rest of the line as written.
		rest := line
		for _, w := range f[:4] {
			rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), w))
		}
		e.Reason = rest
	}
	return e, nil
}

func parseChange(cs *ChangeSet, line string) error {
	f := strings.Fields(line)
	if f[0] == "status" {
		if len(f) < 2 {
			return fmt.Errorf("status CREATE_COMPLETE|FAILED [reason]")
		}
		cs.Status = f[1]
		cs.Reason = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "status")), f[1]))
		return nil
	}
	if f[0] == "polls" && len(f) == 2 {
		_, err := fmt.Sscan(f[1], &cs.Polls)
		return err
	}
	if len(f) < 3 {
		return fmt.Errorf("a change is <Action> <logical id> <type> [replacement=..] [scope=a,b] [detail=Attribute/Name/Recreation/Source/Entity]")
	}
	c := Change{Action: f[0], LogicalID: f[1], Type: f[2]}
	for _, kv := range f[3:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "replacement":
			c.Replacement = v
		case "scope":
			c.Scope = strings.Split(v, ",")
		case "physical":
			c.PhysicalID = v
		case "detail":
			p := strings.Split(v, "/")
			for len(p) < 5 {
				p = append(p, "")
			}
			c.Details = append(c.Details, Detail{Attribute: p[0], Name: p[1], RequiresRecreation: p[2], ChangeSource: p[3], CausingEntity: p[4]})
		default:
			return fmt.Errorf("unknown change field %q", k)
		}
	}
	cs.Changes = append(cs.Changes, c)
	return nil
}

//go:embed scenarios/*.events
var scenarios embed.FS

// Scenario is one of the embedded scenarios (scenarios/<name>.events): sequences in the
// shape AWS writes them for the stacks of cloud/stack (a control plane created, a
// creation rolled back, a failed delete, an upgrade, an update rolled back, a delete
// that keeps the table). The desktop's tests replay them too.
func Scenario(name string) (Script, error) {
	b, err := scenarios.ReadFile("scenarios/" + name + ".events")
	if err != nil {
		return Script{}, fmt.Errorf("no scenario %q: %w", name, err)
	}
	sc, err := ParseScript(string(b))
	if err != nil {
		return Script{}, fmt.Errorf("scenario %s: %w", name, err)
	}
	return sc, nil
}

// Scenarios names the embedded scenarios.
func Scenarios() []string {
	entries, _ := scenarios.ReadDir("scenarios")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".events"))
	}
	return out
}
