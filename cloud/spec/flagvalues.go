package spec

import (
	"strings"

	"github.com/spf13/pflag"
)

// PFlags adapts a pflag.FlagSet to FlagSet.
func PFlags(fs *pflag.FlagSet) FlagSet { return pflagSet{fs} }

type pflagSet struct{ fs *pflag.FlagSet }

func (p pflagSet) Has(name string) bool     { return p.fs.Lookup(name) != nil }
func (p pflagSet) Changed(name string) bool { return p.fs.Changed(name) }
func (p pflagSet) Set(name, v string) error {
	f := p.fs.Lookup(name)
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(splitList(v))
	}
	return f.Value.Set(v)
}
func (p pflagSet) Names() []string {
	var out []string
	p.fs.VisitAll(func(f *pflag.Flag) { out = append(out, f.Name) })
	return out
}

// sideValue is --src/--dst of the cloud commands: s3://bucket[/prefix].
type sideValue struct{ s *Side }

func (v sideValue) String() string {
	if v.s == nil || v.s.Kind == "" {
		return ""
	}
	return v.s.URL()
}
func (v sideValue) Type() string { return "string" }
func (v sideValue) Set(arg string) error {
	p, err := ParseSide(arg)
	if err != nil {
		return err
	}
	v.s.Kind, v.s.Bucket, v.s.Prefix, v.s.Path = p.Kind, p.Bucket, p.Prefix, p.Path
	return nil
}

// scheduleValue is --schedule: the expression form of Schedule.
type scheduleValue struct{ s *Schedule }

func (v scheduleValue) String() string {
	if v.s == nil {
		return ""
	}
	return v.s.String()
}
func (v scheduleValue) Type() string          { return "string" }
func (v scheduleValue) Set(expr string) error { *v.s = ParseSchedule(expr); return nil }

// ecrValue is --src-ecr/--dst-ecr: a region that makes the side an ECR.
type ecrValue struct{ kind, region *string }

func (v ecrValue) String() string {
	if v.region == nil || v.kind == nil || *v.kind != KindECR {
		return ""
	}
	return *v.region
}
func (v ecrValue) Type() string { return "string" }
func (v ecrValue) Set(region string) error {
	if region == "" {
		return nil
	}
	*v.kind, *v.region = KindECR, region
	return nil
}

// destValue is --image-dest: registry[/prefix].
type destValue struct{ d *ImageDestination }

func (v destValue) String() string {
	if v.d == nil || v.d.Kind != KindRegistry {
		return ""
	}
	return strings.TrimSuffix(v.d.Registry+"/"+v.d.Prefix, "/")
}
func (v destValue) Type() string { return "string" }
func (v destValue) Set(s string) error {
	host, prefix, _ := strings.Cut(strings.TrimSuffix(strings.TrimSpace(s), "/"), "/")
	v.d.Kind, v.d.Registry, v.d.Prefix = KindRegistry, host, prefix
	return nil
}

// listFileValue is --image-list: one file of references.
type listFileValue struct{ l *[]string }

func (v listFileValue) String() string {
	if v.l == nil || len(*v.l) == 0 {
		return ""
	}
	return strings.Join(*v.l, ",")
}
func (v listFileValue) Type() string { return "string" }
func (v listFileValue) Set(s string) error {
	*v.l = nil
	if s != "" {
		*v.l = []string{s}
	}
	return nil
}
