package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"transferhub/cloud/deploy"
)

// printPreview shows a change set as a person reviews it: what is added, modified
// (replaced?) or removed, IAM changes flagged, then the parameters and tags that change.
func printPreview(w io.Writer, p deploy.Preview, notes []string) {
	c := p.Counts()
	switch {
	case p.Empty() && p.Op == deploy.OpUpdate:
		fmt.Fprintf(w, "Stack %s: no changes.\n", p.Stack)
		return
	case p.Op == deploy.OpCreate:
		fmt.Fprintf(w, "Stack %s will be created: %d resources.\n", p.Stack, c.Add)
	default:
		fmt.Fprintf(w, "Stack %s will be updated: %d to add, %d to modify (%d replaced), %d to remove.\n", p.Stack, c.Add, c.Modify, c.Replace, c.Remove)
	}
	if v := p.VersionChange; v != nil {
		fmt.Fprintf(w, "Upgrade: Transfer Hub %s -> %s\n", orNone(v.Old), v.New)
	} else if p.TemplateChanged {
		fmt.Fprintln(w, "The template changed.")
	}
	if len(p.Changes) > 0 {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, r := range p.Changes {
			mark := map[string]string{"Add": "+", "Remove": "-"}[r.Action]
			if mark == "" {
				mark = "~"
			}
			extra := ""
			switch r.Replacement {
			case "True":
				extra = "REPLACED"
			case "Conditional":
				extra = "may be replaced"
			}
			if why := causes(r); why != "" {
				extra = strings.TrimSpace(extra + " (" + why + ")")
			}
			if r.IAM {
				extra = strings.TrimSpace("[IAM] " + extra)
			}
			fmt.Fprintf(tw, "  %s %s\t%s\t%s\t%s\n", mark, r.Action, r.LogicalID, r.Type, extra)
		}
		_ = tw.Flush()
	}
	if c.IAM > 0 {
		fmt.Fprintf(w, "  %d change(s) to IAM roles and policies: who may do what changes.\n", c.IAM)
	}
	if len(p.Parameters) > 0 {
		fmt.Fprintln(w, "Parameters:")
		for _, v := range p.Parameters {
			switch {
			case v.Pending != "":
				fmt.Fprintf(w, "  %s: %s\n", v.Name, v.Pending)
			case p.Op == deploy.OpCreate:
				fmt.Fprintf(w, "  %s: %s\n", v.Name, v.New)
			default:
				fmt.Fprintf(w, "  %s: %s -> %s\n", v.Name, orNone(v.Old), orNone(v.New))
			}
		}
	}
	for _, n := range notes {
		fmt.Fprintln(w, "Note:", n)
	}
}

// causes names what drives a modification (the parameters and resources behind it).
func causes(r deploy.ResourceChange) string {
	seen := map[string]bool{}
	var out []string
	for _, d := range r.Details {
		what := d.Name
		if what == "" {
			what = d.Attribute
		}
		if d.CausingEntity != "" {
			what += " <- " + d.CausingEntity
		}
		if what != "" && !seen[what] {
			seen[what] = true
			out = append(out, what)
		}
	}
	return strings.Join(out, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// printOutcome ends a stack operation.
func printOutcome(w io.Writer, o deploy.Outcome) {
	switch {
	case o.NoChanges:
		fmt.Fprintf(w, "Stack %s: no changes; nothing was executed.\n", o.Stack)
	case o.Succeeded:
		fmt.Fprintf(w, "Stack %s: %s in %s.\n", o.Stack, o.Status, o.Elapsed.Round(time.Second))
	default:
		fmt.Fprintf(w, "Stack %s: %s after %s.\n", o.Stack, o.Status, o.Elapsed.Round(time.Second))
		if f := o.FirstFailure; f != nil {
			fmt.Fprintf(w, "First failure: %s\n", f)
		}
		if o.DeleteAndRetry {
			fmt.Fprintln(w, "The stack cannot be updated from here: delete it and deploy again (add --delete-failed to do both).")
		}
	}
}

// printDelete says what a delete removes and what survives.
func printDelete(w io.Writer, r deploy.DeleteResult) {
	verb, keep := "Removed", "Kept"
	if r.DryRun {
		verb, keep = "Would remove", "Would keep"
	}
	for _, i := range r.Removes {
		fmt.Fprintf(w, "%s %s %s: %s\n", verb, i.What, i.Name, i.Why)
	}
	for _, i := range r.Survives {
		fmt.Fprintf(w, "%s %s %s: %s\n", keep, i.What, i.Name, i.Why)
	}
}

// printPreflight shows the pre-flight's checks.
func printPreflight(w io.Writer, r deploy.PreflightReport) {
	mark := map[deploy.CheckStatus]string{deploy.CheckOK: "ok", deploy.CheckWarning: "warning", deploy.CheckProblem: "PROBLEM", deploy.CheckUnknown: "not checked"}
	for _, c := range r.Checks {
		fmt.Fprintf(w, "[%s] %s: %s\n", mark[c.Status], c.Name, c.Summary)
		for _, d := range c.Details {
			fmt.Fprintf(w, "      %s\n", d)
		}
	}
}

// printDeployments is the table of thub deploy list.
func printDeployments(w io.Writer, deps []deploy.Deployment) {
	if len(deps) == 0 {
		fmt.Fprintln(w, "No Transfer Hub deployments here.")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tCONTROL PLANE\tKIND\tTASK\tSTATUS\tVERSION\tUPDATED\tNOTE")
	for _, d := range deps {
		note := ""
		switch {
		case d.DeleteAndRetry:
			note = "failed: delete and deploy again"
		case d.KeptTable != "":
			note = "deleted, data kept in " + d.KeptTable
		case d.UpgradeAvailable:
			note = "upgrade available"
		}
		when := d.Updated
		if when.IsZero() {
			when = d.Created
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Region, d.ControlPlane, d.Kind, orDash(d.TaskID), d.Status, orDash(d.Version),
			when.UTC().Format("2006-01-02 15:04"), note)
	}
	_ = tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printStatus is thub deploy status.
func printStatus(w io.Writer, s deploy.TaskStatus) {
	fmt.Fprintf(w, "Task %s (%s) in control plane %s, %s\n", s.TaskID, s.Kind, s.ControlPlane, s.Region)
	fmt.Fprintf(w, "Stack: %s %s", orDash(s.Stack), s.Status)
	if s.Version != "" {
		fmt.Fprintf(w, " (deployed by %s)", s.Version)
	}
	fmt.Fprintln(w)
	if s.FirstFailure != nil {
		fmt.Fprintf(w, "Failure: %s\n", s.FirstFailure)
	}
	if s.UpgradeAvailable {
		fmt.Fprintln(w, "Upgrade available: thub deploy upgrade", s.TaskID)
	}
	if s.Table != "" {
		fmt.Fprintf(w, "Table: %s\n", s.Table)
	}
	if r := s.Run; r != nil {
		c := r.Counters
		fmt.Fprintf(w, "Run: %s", r.Status)
		if r.LastError != "" {
			fmt.Fprintf(w, " (%s)", r.LastError)
		}
		fmt.Fprintf(w, "\n  found %d, copied %d (%d bytes), skipped %d, failed %d\n", c.FoundObjects, c.DoneObjects, c.DoneBytes, c.SkippedObjects, c.FailedObjects)
	} else if s.Table != "" {
		fmt.Fprintln(w, "Run: not started yet")
	}
}
