package credentials

import (
	"regexp"
	"slices"

	"transferhub/cloud/objstore"
)

// Partitions are the AWS partitions a profile can belong to.
var partitions = []string{"aws", "aws-cn", "aws-us-gov"}

// Partitions lists the AWS partitions a profile can be in.
func Partitions() []string { return slices.Clone(partitions) }

// knownRegions are offered in forms; a region missing here (a newer one) is still
// accepted when it has the shape of a region of the chosen partition.
var knownRegions = map[string][]string{
	"aws": {
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
		"af-south-1",
		"ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
		"ca-central-1", "ca-west-1",
		"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
		"eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
	},
	"aws-cn":     {"cn-north-1", "cn-northwest-1"},
	"aws-us-gov": {"us-gov-east-1", "us-gov-west-1"},
}

// Regions lists the known regions of an AWS partition (nil for an unknown partition).
func Regions(partition string) []string { return slices.Clone(knownRegions[partition]) }

// awsRegionRE is the shape of an AWS region name: cc-[gov-]direction-n.
var awsRegionRE = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$`)

// RegionPartition returns the partition of a well-formed AWS region name, and false
// when name does not look like an AWS region.
func RegionPartition(name string) (string, bool) {
	if !awsRegionRE.MatchString(name) {
		return "", false
	}
	return objstore.Partition(name), true
}
