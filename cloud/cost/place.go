package cost

import (
	"transferhub/cloud/objstore"
	"transferhub/cloud/spec"
)

// RegionPlace is an AWS Region, its partition read from its name.
func RegionPlace(region string) Place {
	return Place{Cloud: CloudAWS, Partition: objstore.Partition(region), Region: region}
}

// SidePlace says where a task's side is: an AWS Region (Amazon S3, no custom
// endpoint), this computer (a local directory) or another provider's store. found is
// the bucket's Region as the opened location found it, used when the side names none;
// an Amazon S3 side in no known Region is in partition `partition` (default aws).
func SidePlace(s spec.Side, found, partition string) Place {
	if s.Kind == spec.KindLocal {
		return Place{Cloud: CloudLocal}
	}
	provider := s.Provider
	if provider == "" {
		provider = "aws"
		if s.Endpoint != "" {
			provider = "other"
		}
	}
	if provider != "aws" || s.Endpoint != "" {
		return Place{Cloud: provider}
	}
	region := s.Region
	if region == "" {
		region = found
	}
	if region == "" {
		if partition == "" {
			partition = "aws"
		}
		return Place{Cloud: CloudAWS, Partition: partition}
	}
	return RegionPlace(region)
}
