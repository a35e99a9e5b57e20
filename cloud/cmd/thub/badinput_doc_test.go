package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The bad-input table of cloud/docs/bad-input.md is true: every row's arguments are
// refused with exit status 2 and its message, nothing is created, and with --json the
// same message is the JSON answer on stdout.
func TestBadInputTableIsTrue(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "bad-input.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([^`]+)` \\| `([^`]+)` \\|$")
	n := 0
	for _, line := range strings.Split(string(doc), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n++
		args, want := m[1], m[2]
		t.Run(args, func(t *testing.T) {
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			if err := os.MkdirAll(src, 0o755); err != nil {
				t.Fatal(err)
			}
			argv := strings.Fields(strings.NewReplacer("<src>", src, "<dst>", dst).Replace(args))
			r := thub(t, nil, argv...)
			if r.code != 2 || !strings.Contains(r.stderr, "thub: "+want) {
				t.Fatalf("exit %d (want 2); stderr lacks %q:\n%s", r.code, want, r.stderr)
			}
			if _, err := os.Stat(dst); err == nil {
				t.Errorf("%s was created", dst)
			}
			if strings.HasPrefix(args, "s3 sync") || strings.HasPrefix(args, "image sync") {
				r = thub(t, nil, append(argv, "--json")...)
				if m := lastJSON(t, r.stdout); !strings.Contains(m["error"].(string), want) {
					t.Errorf("--json answer %v lacks %q", m, want)
				}
			}
		})
	}
	if n < 40 {
		t.Fatalf("only %d rows read from the table", n)
	}
}
