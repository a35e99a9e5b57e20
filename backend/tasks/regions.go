package tasks

import (
	"fmt"
	"strings"

	"transferhub/backend/credentials"
)

// checkRegion validates an AWS region against the partition of the profile using it. The
// region lists belong to backend/credentials (profiles pick their default region there);
// a well-formed name of the right partition is accepted even when the list does not know
// it yet, so only typos and cross-partition picks fail.
func checkRegion(region, partition string) error {
	if partition == "" {
		partition = "aws"
	}
	known := credentials.Regions(partition)
	if known == nil {
		return fmt.Errorf("the profile's partition %q is not one of %s", partition, strings.Join(credentials.Partitions(), ", "))
	}
	got, ok := credentials.RegionPartition(region)
	if !ok {
		return fmt.Errorf("%q is not a region name: use the form us-east-1", region)
	}
	if got != partition {
		return fmt.Errorf("%s is a region of the %s partition, but the profile is for %s: choose one of %s", region, got, partition, strings.Join(known, ", "))
	}
	return nil
}
