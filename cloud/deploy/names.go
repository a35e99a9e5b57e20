package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"transferhub/cloud/stack"
)

// Stacks are found by their tags (DescribeStacks returns them), named by these rules.
const (
	// TagKind is the stack's template: control-plane, s3-task or image-task.
	TagKind = "thub:kind"
	// TagControlPlane is the name of the control plane a stack belongs to.
	TagControlPlane = "thub:control-plane"
	// TagTaskID is a task stack's task id.
	TagTaskID = "thub:task-id"
	// TagVersion is the version of the Transfer Hub that last deployed the stack.
	TagVersion = "thub:version"
	// TagTemplate is the SHA-256 of the template the stack was last deployed from.
	TagTemplate = "thub:template"
)

// DefaultControlPlane is the control plane's name unless the user picks another.
const DefaultControlPlane = "thub"

var cpNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)

// ControlPlaneStackName is the control plane's stack: <name>-control-plane.
func ControlPlaneStackName(name string) string {
	if name == "" {
		name = DefaultControlPlane
	}
	return name + "-control-plane"
}

var notStackChar = regexp.MustCompile(`[^A-Za-z0-9-]`)

// TaskStackName is a task's stack: <control plane>-task-<task id>. Stack names take
// letters, digits and dashes only: a task id with dots or underscores gets them as
// dashes plus a short hash of the id, so two ids never share a stack.
func TaskStackName(controlPlane, taskID string) string {
	if controlPlane == "" {
		controlPlane = DefaultControlPlane
	}
	slug := notStackChar.ReplaceAllString(taskID, "-")
	if slug != taskID {
		sum := sha256.Sum256([]byte(taskID))
		slug += "-" + hex.EncodeToString(sum[:3])
	}
	return controlPlane + "-task-" + slug
}

// SecretName is where a task's far-side keys live: thub/<control plane>/<task>/<side>.
func SecretName(controlPlane, taskID string, side Side) string {
	if controlPlane == "" {
		controlPlane = DefaultControlPlane
	}
	return "thub/" + controlPlane + "/" + taskID + "/" + string(side)
}

// Side is one side of a task: its source or its destination.
type Side string

// The two sides.
const (
	Source      Side = "src"
	Destination Side = "dst"
)

func checkControlPlaneName(name string) error {
	if !cpNameRE.MatchString(name) {
		return fmt.Errorf("control plane name %q: use 1 to 30 lower-case letters, digits and dashes, starting with a letter", name)
	}
	return nil
}

// tags renders a stack's tags in a stable order.
func stackTags(kind stack.Kind, controlPlane, taskID, version, templateSHA string) map[string]string {
	t := map[string]string{TagKind: string(kind), TagControlPlane: controlPlane, TagVersion: version, TagTemplate: templateSHA}
	if taskID != "" {
		t[TagTaskID] = taskID
	}
	return t
}

func isKind(k string) bool {
	switch stack.Kind(k) {
	case stack.KindControlPlane, stack.KindS3Task, stack.KindImageTask:
		return true
	}
	return false
}
