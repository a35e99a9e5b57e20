// Command sizecheck reports the files and functions over the size limits the code keeps
// to (issue 10, "Done when"):
//
//   - a non-test Go file in cloud/ or backend/: at most 700 lines;
//   - a Go function there: at most 120 lines (from "func" to its closing brace);
//   - a frontend source file under frontend/src (tests and the generated bindings in
//     frontend/wailsjs aside): at most 500 lines.
//
// Generated Go files ("// Code generated ... DO NOT EDIT.") are left out. With -enforce
// it exits 1 when anything is over; without, it only reports (build/scripts/lint.sh
// runs it that way until every file is under the limits).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Limits are the sizes sizecheck allows.
type Limits struct {
	GoFile, GoFunc, FrontendFile int
}

// DefaultLimits are the limits of issue 10.
var DefaultLimits = Limits{GoFile: 700, GoFunc: 120, FrontendFile: 500}

// Violation is one file or function over its limit.
type Violation struct {
	Path  string // slash-separated, relative to the root
	Line  int    // 1-based start (functions), 0 for whole files
	What  string // "file" or "func Name"
	Lines int
	Limit int
}

func (v Violation) String() string {
	if v.Line > 0 {
		return fmt.Sprintf("%s:%d: %s is %d lines (limit %d)", v.Path, v.Line, v.What, v.Lines, v.Limit)
	}
	return fmt.Sprintf("%s: %s is %d lines (limit %d)", v.Path, v.What, v.Lines, v.Limit)
}

func main() {
	enforce := flag.Bool("enforce", false, "exit 1 when a file or function is over its limit (default: report only)")
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	vs, err := Check(os.DirFS(*root), DefaultLimits)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sizecheck:", err)
		os.Exit(2)
	}
	os.Exit(report(os.Stdout, vs, *enforce))
}

// report prints the violations and returns the exit code.
func report(w io.Writer, vs []Violation, enforce bool) int {
	for _, v := range vs {
		fmt.Fprintln(w, v)
	}
	switch {
	case len(vs) == 0:
		fmt.Fprintln(w, "size limits: every file and function is within them")
		return 0
	case enforce:
		fmt.Fprintf(w, "size limits: %d over (split along real seams)\n", len(vs))
		return 1
	}
	fmt.Fprintf(w, "size limits: %d over (report only: lint does not fail on them yet)\n", len(vs))
	return 0
}

// Check walks the Go code in cloud/ and backend/ and the frontend sources in frontend/src
// of fsys and returns what is over the limits, in path order.
func Check(fsys fs.FS, lim Limits) ([]Violation, error) {
	var out []Violation
	for _, dir := range []string{"cloud", "backend"} {
		vs, err := walk(fsys, dir, isGoSource, func(path string, src []byte) ([]Violation, error) {
			return checkGo(path, src, lim)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	vs, err := walk(fsys, "frontend/src", isFrontendSource, func(path string, src []byte) ([]Violation, error) {
		if n := countLines(src); n > lim.FrontendFile {
			return []Violation{{Path: path, What: "file", Lines: n, Limit: lim.FrontendFile}}, nil
		}
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	out = append(out, vs...)
	slices.SortStableFunc(out, func(a, b Violation) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// walk calls check for every file under dir that keep accepts; a missing dir is empty.
func walk(fsys fs.FS, dir string, keep func(string) bool, check func(string, []byte) ([]Violation, error)) ([]Violation, error) {
	var out []Violation
	err := fs.WalkDir(fsys, dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipDir
			}
			return err
		}
		if d.IsDir() {
			if path != dir && skipDir(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !keep(path) {
			return nil
		}
		src, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		vs, err := check(path, src)
		out = append(out, vs...)
		return err
	})
	return out, err
}

// skipDir: dependencies, build output, fixtures and hidden directories.
func skipDir(name string) bool {
	return name == "node_modules" || name == "dist" || name == "testdata" || name == "wailsjs" || strings.HasPrefix(name, ".")
}

func isGoSource(path string) bool {
	return strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go")
}

var frontendTest = regexp.MustCompile(`\.(test|spec)\.[cm]?[jt]sx?$`)

func isFrontendSource(path string) bool {
	switch filepath.Ext(path) {
	case ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs":
		return !frontendTest.MatchString(path) && !strings.Contains(path, "/__tests__/")
	}
	return false
}

var generated = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// checkGo measures one Go file and its functions.
func checkGo(path string, src []byte, lim Limits) ([]Violation, error) {
	if generated.Match(src) {
		return nil, nil
	}
	var out []Violation
	if n := countLines(src); n > lim.GoFile {
		out = append(out, Violation{Path: path, What: "file", Lines: n, Limit: lim.GoFile})
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		start, end := fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line
		if n := end - start + 1; n > lim.GoFunc {
			name := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) > 0 {
				name = receiver(fd.Recv.List[0].Type) + "." + name
			}
			out = append(out, Violation{Path: path, Line: start, What: "func " + name, Lines: n, Limit: lim.GoFunc})
		}
	}
	return out, nil
}

// receiver names a method's receiver type (without * and type parameters).
func receiver(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiver(t.X)
	case *ast.IndexExpr:
		return receiver(t.X)
	case *ast.IndexListExpr:
		return receiver(t.X)
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

// countLines counts lines as an editor shows them (a last line without a newline counts).
func countLines(src []byte) int {
	n := bytes.Count(src, []byte("\n"))
	if len(src) > 0 && src[len(src)-1] != '\n' {
		n++
	}
	return n
}
