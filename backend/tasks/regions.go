package tasks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"transferhub/cloud/objstore"
)

// Partitions and their regions, for the wizard's region choices and for validation.
// AWS adds regions over time: a name that follows a partition's pattern is accepted even
// when this list does not know it yet, so only typos and cross-partition picks fail.
var partitionRegions = map[string][]string{
	"aws": {
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
		"af-south-1", "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ca-central-1", "ca-west-1",
		"eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"eu-south-1", "eu-south-2", "eu-north-1",
		"il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
	},
	"aws-cn":     {"cn-north-1", "cn-northwest-1"},
	"aws-us-gov": {"us-gov-west-1", "us-gov-east-1"},
}

var regionShape = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)

// Regions returns the known regions of a partition ("" = aws).
func Regions(partition string) []string {
	if partition == "" {
		partition = "aws"
	}
	return slices.Clone(partitionRegions[partition])
}

// checkRegion validates an AWS region against the partition of the profile using it.
func checkRegion(region, partition string) error {
	if partition == "" {
		partition = "aws"
	}
	known, ok := partitionRegions[partition]
	if !ok {
		return fmt.Errorf("the profile's partition %q is not one of aws, aws-cn, aws-us-gov", partition)
	}
	if !regionShape.MatchString(region) {
		return fmt.Errorf("%q is not a region name: use the form us-east-1", region)
	}
	if got := objstore.Partition(region); got != partition {
		return fmt.Errorf("%s is a region of the %s partition, but the profile is for %s: choose one of %s", region, got, partition, strings.Join(known, ", "))
	}
	return nil
}
