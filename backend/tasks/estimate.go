package tasks

import (
	"context"

	"transferhub/backend/credentials"
	"transferhub/cloud/cost"
	"transferhub/cloud/objstore"
)

// Estimate is what a run of the definition would cost in AWS, from its dry run's
// counts (Plan): S3 requests, data transfer out, and for a cloud task its workers,
// finder, queue and table (cloud/cost: list prices of one dated table per partition,
// with the assumptions made).
func (m *Manager) Estimate(ctx context.Context, d Definition, p Plan) (cost.Estimate, error) {
	d = d.normalized()
	u := cost.Usage{Kind: cost.KindS3, Compute: cost.Place{Cloud: cost.CloudLocal}, ServerSide: p.ServerSide,
		Listed: p.Found, Objects: p.ToCopy, Bytes: p.ToCopyBytes}
	if d.Cloud != nil {
		region := d.Cloud.Region
		if pr, ok := m.profileMeta(ctx, d.Cloud.ProfileID); ok && region == "" {
			region = pr.Region
		}
		u.Compute = cost.RegionPlace(region)
		if len(d.Cloud.InstanceTypes) > 0 {
			u.InstanceType = d.Cloud.InstanceTypes[0]
		}
		u.Spot = d.Cloud.Spot
	}
	switch {
	case d.S3 != nil:
		u.Source, u.Destination = m.s3Place(ctx, d.S3.Source), m.s3Place(ctx, d.S3.Destination)
		if o, err := s3Options(*d.S3, m.concurrency(d.S3.Concurrency), m.log); err == nil {
			u.PartSize, u.MultipartThreshold = o.PartSize, o.MultipartThreshold
		}
	case d.Image != nil:
		u.Kind = cost.KindImage
		u.Source = m.imagePlace(ctx, d.Image.Source.Kind, d.Image.Source.Region, d.Image.Source.ProfileID)
		u.Destination = m.imagePlace(ctx, d.Image.Destination.Kind, d.Image.Destination.Region, d.Image.Destination.ProfileID)
	}
	return cost.Calculate(u)
}

func (m *Manager) profileMeta(ctx context.Context, id string) (credentials.Profile, bool) {
	if id == "" || m.creds == nil {
		return credentials.Profile{}, false
	}
	p, err := m.creds.Get(ctx, id)
	return p, err == nil
}

// s3Place is where an S3 task's side is: a Region of the AWS profile's partition, an
// S3-compatible provider, or this computer.
func (m *Manager) s3Place(ctx context.Context, l Location) cost.Place {
	if l.Kind == LocationLocal {
		return cost.Place{Cloud: cost.CloudLocal}
	}
	p, ok := m.profileMeta(ctx, l.ProfileID)
	switch {
	case ok && p.Kind == credentials.KindS3Compatible:
		if p.Provider == "" {
			return cost.Place{Cloud: "other"}
		}
		return cost.Place{Cloud: p.Provider}
	case ok:
		region := l.Region
		if region == "" {
			region = p.Region
		}
		if region == "" {
			return cost.Place{Cloud: cost.CloudAWS, Partition: orAWS(p.Partition)}
		}
		return cost.RegionPlace(region)
	}
	return cost.Place{Cloud: cost.CloudAWS, Partition: objstore.Partition(l.Region), Region: l.Region}
}

// imagePlace is where an image side is: an ECR Region, or a registry elsewhere.
func (m *Manager) imagePlace(ctx context.Context, kind, region, profileID string) cost.Place {
	if kind != ECRKind {
		return cost.Place{Cloud: "registry"}
	}
	if p, ok := m.profileMeta(ctx, profileID); ok && region == "" {
		region = p.Region
	}
	return cost.RegionPlace(region)
}

func orAWS(p string) string {
	if p == "" {
		return "aws"
	}
	return p
}
