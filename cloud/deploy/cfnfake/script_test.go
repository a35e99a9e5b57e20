package cfnfake

import (
	"strings"
	"testing"
	"time"
)

// Every embedded scenario reads, its events keep time order, and each operation
// starts with the stack's own IN_PROGRESS event and ends with its settled status.
func TestScenariosAreWellFormed(t *testing.T) {
	names := Scenarios()
	if len(names) < 6 {
		t.Fatalf("scenarios %v", names)
	}
	for _, name := range names {
		sc, err := Scenario(name)
		if err != nil {
			t.Fatal(err)
		}
		for what, evs := range map[string][]Event{"execute": sc.Execute, "delete": sc.Delete} {
			if len(evs) == 0 {
				continue
			}
			first, last := evs[0], evs[len(evs)-1]
			if first.LogicalID != "" || !strings.HasSuffix(first.Status, "_IN_PROGRESS") || first.Reason != "User Initiated" {
				t.Errorf("%s %s starts with %+v", name, what, first)
			}
			if last.LogicalID != "" || strings.HasSuffix(last.Status, "_IN_PROGRESS") {
				t.Errorf("%s %s ends with %+v", name, what, last)
			}
			for i := 1; i < len(evs); i++ {
				if evs[i].At < evs[i-1].At {
					t.Errorf("%s %s: event %d (%s %s) goes back in time", name, what, i, evs[i].LogicalID, evs[i].Status)
				}
			}
		}
		if sc.ChangeSet != nil && len(sc.Execute) > 0 {
			changed := map[string]bool{}
			for _, c := range sc.ChangeSet.Changes {
				changed[c.LogicalID] = true
			}
			for _, e := range sc.Execute {
				if e.LogicalID != "" && !changed[e.LogicalID] && !strings.HasPrefix(e.Status, "DELETE") {
					t.Errorf("%s: %s has events but is not in the change set", name, e.LogicalID)
				}
			}
		}
	}
}

func TestParseScript(t *testing.T) {
	sc, err := ParseScript(`
# comment
[changeset]
status FAILED The submitted information didn't contain changes.
Modify  Worker  AWS::EC2::LaunchTemplate  replacement=True scope=Properties,Tags detail=Properties/ImageId/Always/ParameterReference/WorkerImageId
[execute]
+0s   -       -                 UPDATE_IN_PROGRESS  User Initiated
+1m2s Worker  AWS::EC2::LaunchTemplate  UPDATE_FAILED  Resource handler returned message: "x #1"
[outputs]
QueueUrl = https://sqs/1
`)
	if err != nil {
		t.Fatal(err)
	}
	cs := sc.ChangeSet
	if cs.Status != "FAILED" || cs.Reason != "The submitted information didn't contain changes." || len(cs.Changes) != 1 {
		t.Fatalf("%+v", cs)
	}
	c := cs.Changes[0]
	if c.Replacement != "True" || strings.Join(c.Scope, ",") != "Properties,Tags" || c.Details[0] != (Detail{"Properties", "ImageId", "Always", "ParameterReference", "WorkerImageId"}) {
		t.Errorf("%+v", c)
	}
	if e := sc.Execute[1]; e.At != 62*time.Second || e.Reason != `Resource handler returned message: "x #1"` {
		t.Errorf("%+v", e)
	}
	if sc.Outputs["QueueUrl"] != "https://sqs/1" {
		t.Errorf("%v", sc.Outputs)
	}
	for _, bad := range []string{"[execute]\n0s - - X", "Add Q", "[outputs]\nnovalue", "[changeset]\nAdd Q T what=1"} {
		if _, err := ParseScript(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
