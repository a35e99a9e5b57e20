package image

import (
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"
)

// TagFilter narrows the tags of an ALL_TAGS (or whole-ECR) source. Explicit tags and
// digests are never filtered: the user named them.
type TagFilter struct {
	// Include and Exclude are regular expressions matched against the whole tag.
	// A tag is kept when it matches any Include (or Include is empty) and no Exclude.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	// Semver is a constraint (Masterminds/semver syntax, e.g. ">=1.2, <2"); tags that
	// are not versions are dropped when it is set.
	Semver string `json:"semver,omitempty"`
	// Latest keeps the N most recent tags by image config creation time (after the
	// other filters). 0 keeps all.
	Latest int `json:"latest,omitempty"`
}

// IsZero reports whether the filter keeps everything.
func (f TagFilter) IsZero() bool {
	return len(f.Include) == 0 && len(f.Exclude) == 0 && f.Semver == "" && f.Latest == 0
}

type compiledFilter struct {
	include, exclude []*regexp.Regexp
	semver           *semver.Constraints
	latest           int
}

func (f TagFilter) compile() (*compiledFilter, error) {
	c := &compiledFilter{latest: f.Latest}
	if f.Latest < 0 {
		return nil, fmt.Errorf("--latest must be a positive number, got %d", f.Latest)
	}
	for _, p := range f.Include {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid --tag-include %q: %w", p, err)
		}
		c.include = append(c.include, re)
	}
	for _, p := range f.Exclude {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid --tag-exclude %q: %w", p, err)
		}
		c.exclude = append(c.exclude, re)
	}
	if f.Semver != "" {
		sc, err := semver.NewConstraint(f.Semver)
		if err != nil {
			return nil, fmt.Errorf("invalid --semver %q: %w", f.Semver, err)
		}
		c.semver = sc
	}
	return c, nil
}

// match applies the include/exclude/semver filters to one tag.
func (c *compiledFilter) match(tag string) bool {
	if len(c.include) > 0 {
		ok := false
		for _, re := range c.include {
			if re.MatchString(tag) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, re := range c.exclude {
		if re.MatchString(tag) {
			return false
		}
	}
	if c.semver != nil {
		v, err := semver.NewVersion(tag)
		if err != nil || !c.semver.Check(v) {
			return false
		}
	}
	return true
}

// datedTag is a tag and its image creation time.
type datedTag struct {
	tag     string
	created time.Time
}

// newest returns the n most recent tags, newest first; ties (and images without a
// creation time) are ordered by tag name, descending, so the choice is stable.
func newest(tags []datedTag, n int) []string {
	sort.SliceStable(tags, func(i, j int) bool {
		if !tags[i].created.Equal(tags[j].created) {
			return tags[i].created.After(tags[j].created)
		}
		return tags[i].tag > tags[j].tag
	})
	if n > len(tags) {
		n = len(tags)
	}
	out := make([]string, 0, n)
	for _, t := range tags[:n] {
		out = append(out, t.tag)
	}
	return out
}
