package spec

import (
	"encoding/json"
	"fmt"
	"strings"

	"transferhub/cloud/image"
	"transferhub/cloud/image/ecr"
	"transferhub/cloud/objstore"
)

// upgradeSyncV1 reads what `thub s3 sync` stored before version 2:
// {"v":1,"source":"s3://bucket/prefix/","dest":"/local/dir","compare":"size+etag"}.
// Endpoints and credentials were never recorded; the sides keep what was.
func upgradeSyncV1(raw []byte) (json.RawMessage, error) {
	var old struct {
		Source  string `json:"source"`
		Dest    string `json:"dest"`
		Compare string `json:"compare"`
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	src, err := recordedSide(old.Source)
	if err != nil {
		return nil, fmt.Errorf("%w: source: %v", ErrUnreadable, err)
	}
	dst, err := recordedSide(old.Dest)
	if err != nil {
		return nil, fmt.Errorf("%w: destination: %v", ErrUnreadable, err)
	}
	return Task{S3: &S3{Source: src, Destination: dst, S3Options: S3Options{Compare: old.Compare}}}.Encode()
}

// recordedSide reads a location URL as an older build recorded it (objstore's URL of an
// opened location), without ParseSide's checks for typing mistakes.
func recordedSide(u string) (Side, error) {
	p, err := objstore.ParseSpec(u)
	if err != nil {
		return Side{}, err
	}
	if p.IsS3() {
		return Side{Kind: KindS3, Bucket: p.Bucket, Prefix: p.Prefix}, nil
	}
	return Side{Kind: KindLocal, Path: p.Path}, nil
}

// upgradeImageV1 reads what `thub image sync` stored before version 2: {"v":1,"spec":
// image.Spec} with every source resolved to a full reference. Sources on one Amazon ECR
// host become an ECR source again (region and account from the host); an empty
// destination registry was a destination ECR (its region was not recorded).
func upgradeImageV1(raw []byte) (json.RawMessage, error) {
	var old struct {
		Spec image.Spec `json:"spec"`
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	s := old.Spec
	im := &Image{ImageOptions: ImageOptions{
		TagInclude: s.Tags.Include, TagExclude: s.Tags.Exclude, Semver: s.Tags.Semver, Latest: s.Tags.Latest,
		Platforms: s.Copy.Platforms, Referrers: s.Copy.Referrers, RecheckReferrers: s.Copy.RecheckReferrers, Attempts: s.Copy.Attempts,
	}}
	src := &im.Source
	src.Kind, src.RepoPrefix, src.RepoRegex = KindRegistry, s.RepoPrefix, s.RepoRegex
	host := ""
	for i, x := range s.Sources {
		if i == 0 {
			host = x.Registry
		} else if x.Registry != host {
			host = ""
			break
		}
	}
	account, region, onECR := ecr.ParseHost(host)
	switch {
	case len(s.Sources) == 0:
		src.Kind = KindECR // a whole ECR
	case onECR:
		src.Kind, src.Region, src.Account = KindECR, region, account
		for _, x := range s.Sources {
			src.References = append(src.References, strings.TrimPrefix(x.String(), host+"/"))
		}
	default:
		for _, x := range s.Sources {
			src.References = append(src.References, x.String())
		}
	}
	dst := &im.Destination
	dst.Prefix = s.Destination.Prefix
	if account, region, ok := ecr.ParseHost(s.Destination.Registry); ok || s.Destination.Registry == "" {
		dst.Kind, dst.Region, dst.Account = KindECR, region, account
	} else {
		dst.Kind, dst.Registry = KindRegistry, s.Destination.Registry
	}
	return Task{Image: im}.Encode()
}
