package s3sync

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"transferhub/cloud/objstore"
)

// Selection chooses which source objects take part. Keys are relative to the source prefix.
type Selection struct {
	// Prefixes restricts the run to keys under any of these (relative) prefixes, e.g. the
	// lines of a prefix-list file. Empty: everything.
	Prefixes []string
	// Include and Exclude are glob patterns (see Glob). A key must match an include (when
	// any is given) and no exclude.
	Include []string
	Exclude []string
	// MinSize/MaxSize bound the object size in bytes (MaxSize 0: no bound).
	MinSize, MaxSize int64
	// ModifiedAfter/ModifiedBefore bound LastModified (zero: no bound).
	ModifiedAfter, ModifiedBefore time.Time
}

type matcher struct {
	sel      Selection
	include  []*regexp.Regexp
	exclude  []*regexp.Regexp
	prefixes []string
}

func newMatcher(sel Selection) (*matcher, error) {
	m := &matcher{sel: sel, prefixes: normalizePrefixes(sel.Prefixes)}
	for _, p := range sel.Include {
		re, err := Glob(p)
		if err != nil {
			return nil, err
		}
		m.include = append(m.include, re)
	}
	for _, p := range sel.Exclude {
		re, err := Glob(p)
		if err != nil {
			return nil, err
		}
		m.exclude = append(m.exclude, re)
	}
	if sel.MaxSize > 0 && sel.MinSize > sel.MaxSize {
		return nil, fmt.Errorf("min size %d is above max size %d", sel.MinSize, sel.MaxSize)
	}
	if !sel.ModifiedAfter.IsZero() && !sel.ModifiedBefore.IsZero() && !sel.ModifiedAfter.Before(sel.ModifiedBefore) {
		return nil, fmt.Errorf("modified-after %s is not before modified-before %s", sel.ModifiedAfter, sel.ModifiedBefore)
	}
	return m, nil
}

// normalizePrefixes sorts prefixes and drops those inside another, so the finder lists
// each key at most once and in order.
func normalizePrefixes(ps []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sortStrings(out)
	var kept []string
	for _, p := range out {
		if len(kept) > 0 && strings.HasPrefix(p, kept[len(kept)-1]) {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

// keyMatches applies the key-only rules (globs); the destination side of the merge uses
// it too, so --delete never touches keys outside the selection.
func (m *matcher) keyMatches(key string) bool {
	for _, re := range m.exclude {
		if re.MatchString(key) {
			return false
		}
	}
	if len(m.include) == 0 {
		return true
	}
	for _, re := range m.include {
		if re.MatchString(key) {
			return true
		}
	}
	return false
}

func (m *matcher) matches(o objstore.Object) bool {
	if !m.keyMatches(o.Key) {
		return false
	}
	if o.Size < m.sel.MinSize || m.sel.MaxSize > 0 && o.Size > m.sel.MaxSize {
		return false
	}
	if !m.sel.ModifiedAfter.IsZero() && !o.LastModified.After(m.sel.ModifiedAfter) {
		return false
	}
	if !m.sel.ModifiedBefore.IsZero() && !o.LastModified.Before(m.sel.ModifiedBefore) {
		return false
	}
	return true
}

// Glob compiles a pattern matched against a whole relative key:
//
//   - any run of characters except "/"
//     **     any run of characters including "/"
//     ?      one character except "/"
//     [abc]  one character of a class ([!abc] negated)
//     \x     the character x literally
//
// A pattern without "/" is matched against the last segment of the key, so "*.jpg"
// selects JPEG files at every depth; a pattern with "/" is matched against the whole key.
func Glob(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, fmt.Errorf("empty glob pattern")
	}
	var b strings.Builder
	if !strings.Contains(pattern, "/") {
		b.WriteString(`^(?:.*/)?`)
	} else {
		b.WriteString(`^`)
	}
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '*':
			if i+1 < len(rs) && rs[i+1] == '*' {
				i++
				// "**/" also matches no directory at all.
				if i+1 < len(rs) && rs[i+1] == '/' {
					i++
					b.WriteString(`(?:.*/)?`)
				} else {
					b.WriteString(`.*`)
				}
			} else {
				b.WriteString(`[^/]*`)
			}
		case '?':
			b.WriteString(`[^/]`)
		case '[':
			j := i + 1
			if j < len(rs) && (rs[j] == '!' || rs[j] == '^') {
				j++
			}
			if j < len(rs) && rs[j] == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("glob \"%s\": unclosed [", pattern)
			}
			class := string(rs[i+1 : j])
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			class = strings.ReplaceAll(class, `\`, `\\`)
			b.WriteString("[" + class + "]")
			i = j
		case '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("glob \"%s\": trailing backslash", pattern)
			}
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", pattern, err)
	}
	return re, nil
}
