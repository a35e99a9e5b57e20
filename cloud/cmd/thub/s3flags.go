package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
)

// sideFlags are the per-side connection flags (--src-* / --dst-*).
type sideFlags struct {
	profile, endpoint, region, provider, pathStyle string
	accessKey, secretKey, sessionToken             string
	anonymous, requesterPays                       bool
	roleARN, externalID                            string
	checksums                                      string
}

// addChecksumsFlag registers --<side>-checksums.
func addChecksumsFlag(f *pflag.FlagSet, v *string, side, what string) {
	f.StringVar(v, side+"-checksums", "auto", "full-object CRC-64/NVME checksums for the "+what+": on (read the source's and verify copies against them; send them with writes, which the store verifies), off, or auto (on for Amazon S3 only)")
}

func (s *sideFlags) add(c *cobra.Command, side, what string) {
	f := c.Flags()
	f.StringVar(&s.profile, side+"-profile", "", "AWS shared-config profile for the "+what+" (SSO, credential_process, endpoint_url are honoured)")
	f.StringVar(&s.endpoint, side+"-endpoint", "", "custom S3 endpoint URL for the "+what)
	f.StringVar(&s.region, side+"-region", "", "region of the "+what+" (default: an Amazon S3 bucket is found where it lives; others use the profile's or the preset's)")
	f.StringVar(&s.provider, side+"-provider", "", "provider preset of the "+what+": "+strings.Join(objstore.Providers(), ", "))
	f.StringVar(&s.pathStyle, side+"-addressing", "", "bucket addressing for the "+what+": path or virtual (default: the preset's)")
	f.StringVar(&s.accessKey, side+"-access-key", "", "static access key id for the "+what+" (or env THUB_"+strings.ToUpper(side)+"_ACCESS_KEY_ID)")
	f.StringVar(&s.secretKey, side+"-secret-key", "", "static secret key for the "+what+" (prefer env THUB_"+strings.ToUpper(side)+"_SECRET_ACCESS_KEY)")
	f.BoolVar(&s.anonymous, side+"-anonymous", false, "unsigned, anonymous access to the "+what)
	f.BoolVar(&s.requesterPays, side+"-requester-pays", false, "requester pays for the "+what)
	f.StringVar(&s.roleARN, side+"-role-arn", "", "IAM role to assume for the "+what)
	f.StringVar(&s.externalID, side+"-external-id", "", "external id for assuming the "+what+" role")
	addChecksumsFlag(f, &s.checksums, side, what)
}

func (s *sideFlags) config(side string) objstore.S3Config {
	env := func(name string) string { return os.Getenv("THUB_" + strings.ToUpper(side) + "_" + name) }
	c := objstore.S3Config{Provider: s.provider, Region: s.region, Endpoint: s.endpoint, PathStyle: s.pathStyle,
		Profile: s.profile, AccessKey: s.accessKey, SecretKey: s.secretKey, SessionToken: s.sessionToken,
		Anonymous: s.anonymous, RequesterPays: s.requesterPays, RoleARN: s.roleARN, ExternalID: s.externalID, Checksums: s.checksums}
	if c.AccessKey == "" {
		c.AccessKey = env("ACCESS_KEY_ID")
	}
	if c.SecretKey == "" {
		c.SecretKey = env("SECRET_ACCESS_KEY")
	}
	if c.SessionToken == "" {
		c.SessionToken = env("SESSION_TOKEN")
	}
	return c
}

type syncFlags struct {
	src, dst                   sideFlags
	compare                    string
	include, exclude, prefixes []string
	prefixList                 string
	minSize, maxSize           string
	modAfter, modBefore        string
	concurrency, listWorkers   int
	splitRanges                bool
	partSize, threshold, mem   string
	del, dryRun, jsonOut       bool
	noProgress                 bool
	statePath, serverSide      string
	storageClass, acl, sse     string
	sseKMS, tags               string
	stall                      time.Duration
}

// The flag groups below are shared by thub s3 sync and the cloud processes (find, work).

// addSelection: which objects, and how a copy is known to be current.
func (fl *syncFlags) addSelection(f *pflag.FlagSet) {
	f.StringVar(&fl.compare, "compare", "size+etag", "how to tell a copy is current: size+etag, size, checksum, none")
	f.StringArrayVar(&fl.include, "include", nil, "copy only keys matching this glob (repeatable; * within a segment, ** across)")
	f.StringArrayVar(&fl.exclude, "exclude", nil, "skip keys matching this glob (repeatable)")
	f.StringArrayVar(&fl.prefixes, "prefix", nil, "copy only keys under this prefix, relative to the source (repeatable)")
	f.StringVar(&fl.minSize, "min-size", "", "skip objects smaller than this (e.g. 1KiB)")
	f.StringVar(&fl.maxSize, "max-size", "", "skip objects larger than this (e.g. 5GiB)")
	f.StringVar(&fl.modAfter, "modified-after", "", "copy only objects modified after this time (RFC 3339 or YYYY-MM-DD)")
	f.StringVar(&fl.modBefore, "modified-before", "", "copy only objects modified before this time (RFC 3339 or YYYY-MM-DD)")
}

// addListing: the finder's flags.
func (fl *syncFlags) addListing(f *pflag.FlagSet) {
	f.StringVar(&fl.prefixList, "prefix-list", "", "file with one prefix per line, relative to the source")
	f.IntVar(&fl.listWorkers, "list-workers", 16, "parallel listings per side")
	f.BoolVar(&fl.splitRanges, "split-flat-levels", false, "list huge flat levels as parallel StartAfter ranges (helps on Amazon S3; slower on file-system gateways)")
	f.BoolVar(&fl.del, "delete", false, "delete destination objects the source lacks (within the selection)")
}

// addTransfer: how objects are moved.
func (fl *syncFlags) addTransfer(f *pflag.FlagSet) {
	f.IntVar(&fl.concurrency, "concurrency", 64, "object and part transfers in flight per process (lowered automatically on throttling)")
	f.StringVar(&fl.partSize, "part-size", "8MiB", "multipart part size when the source layout cannot be reproduced")
	f.StringVar(&fl.threshold, "multipart-threshold", "16MiB", "objects above this size are copied in parts")
	f.StringVar(&fl.mem, "max-memory", "256MiB", "bound on bytes buffered in flight per process")
	f.StringVar(&fl.serverSide, "server-side", "auto", "server-side copy: auto (when one credential set reaches both sides), never, always")
	f.DurationVar(&fl.stall, "stall-timeout", 60*time.Second, "kill a connection that moves no byte for this long")
}

// addWrite: how copies are stored at the destination.
func (fl *syncFlags) addWrite(f *pflag.FlagSet) {
	f.StringVar(&fl.storageClass, "storage-class", "", "destination storage class (e.g. STANDARD_IA, INTELLIGENT_TIERING)")
	f.StringVar(&fl.acl, "acl", "", "destination canned ACL (e.g. bucket-owner-full-control)")
	f.StringVar(&fl.sse, "sse", "", "destination server-side encryption: AES256 or aws:kms")
	f.StringVar(&fl.sseKMS, "sse-kms-key-id", "", "KMS key id for --sse aws:kms")
	f.StringVar(&fl.tags, "tags", "", "tags for destination objects, URL-encoded (k1=v1&k2=v2)")
}

func parseSize(name, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := humanize.ParseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("--%s %q: %v", name, v, err)
	}
	return int64(n), nil
}

func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: use RFC 3339 (2024-05-01T12:00:00Z) or YYYY-MM-DD", name, v)
}

func readPrefixList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("prefix list: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("prefix list %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("prefix list %s has no prefixes", path)
	}
	return out, nil
}

func buildOptions(fl *syncFlags, log *slog.Logger) (s3sync.Options, error) {
	var o s3sync.Options
	var err error
	if o.Compare, err = s3sync.ParseCompareMode(fl.compare); err != nil {
		return o, err
	}
	switch s3sync.ServerSide(fl.serverSide) {
	case s3sync.ServerSideAuto, s3sync.ServerSideNever, s3sync.ServerSideAlways:
		o.ServerSide = s3sync.ServerSide(fl.serverSide)
	default:
		return o, fmt.Errorf("--server-side %q: use auto, never or always", fl.serverSide)
	}
	if fl.concurrency < 1 || fl.concurrency > 4096 {
		return o, fmt.Errorf("--concurrency %d: use 1 to 4096", fl.concurrency)
	}
	o.Concurrency, o.ListWorkers, o.SplitRanges = fl.concurrency, fl.listWorkers, fl.splitRanges
	sel := &o.Selection
	sel.Include, sel.Exclude, sel.Prefixes = fl.include, fl.exclude, fl.prefixes
	if fl.prefixList != "" {
		ps, err := readPrefixList(fl.prefixList)
		if err != nil {
			return o, err
		}
		sel.Prefixes = append(sel.Prefixes, ps...)
	}
	for _, g := range append(append([]string{}, fl.include...), fl.exclude...) {
		if _, err := s3sync.Glob(g); err != nil {
			return o, err
		}
	}
	if sel.MinSize, err = parseSize("min-size", fl.minSize); err != nil {
		return o, err
	}
	if sel.MaxSize, err = parseSize("max-size", fl.maxSize); err != nil {
		return o, err
	}
	if sel.ModifiedAfter, err = parseTime("modified-after", fl.modAfter); err != nil {
		return o, err
	}
	if sel.ModifiedBefore, err = parseTime("modified-before", fl.modBefore); err != nil {
		return o, err
	}
	if o.PartSize, err = parseSize("part-size", fl.partSize); err != nil {
		return o, err
	}
	if o.PartSize < 5<<20 || o.PartSize > 5<<30 {
		return o, fmt.Errorf("--part-size %s: S3 parts are 5 MiB to 5 GiB", fl.partSize)
	}
	if o.MultipartThreshold, err = parseSize("multipart-threshold", fl.threshold); err != nil {
		return o, err
	}
	if o.MaxMemory, err = parseSize("max-memory", fl.mem); err != nil {
		return o, err
	}
	if o.MaxMemory < o.PartSize {
		return o, fmt.Errorf("--max-memory %s is below one part (%s)", fl.mem, fl.partSize)
	}
	o.Delete, o.DryRun = fl.del, fl.dryRun
	o.Logger = log
	return o, nil
}
