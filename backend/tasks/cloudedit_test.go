package tasks

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"transferhub/cloud/spec"
)

// An edit changes the sides when any field of a side changes, its credential profile
// included; the fleet, alarms, schedule and options are not sides.
func TestSidesChanged(t *testing.T) {
	s3def := func() Definition {
		return Definition{
			S3: &S3Spec{
				Source:      Location{Side: spec.Side{Kind: LocationS3, Bucket: "photos", Prefix: "raw/"}, ProfileID: "src"},
				Destination: Location{Side: spec.Side{Kind: LocationS3, Bucket: "archive"}, ProfileID: "dst"},
			},
			Cloud: &CloudOptions{ProfileID: "aws1", MaxWorkers: 5},
		}
	}
	old := s3def()
	same := s3def()
	same.Cloud.MaxWorkers, same.Cloud.Spot, same.Cloud.AlarmEmail = 20, true, "ops@example.com"
	same.Schedule = spec.Schedule{Kind: "interval", Every: "6h"}
	same.S3.Compare = "size"
	assert.False(t, sidesChanged(old, same), "fleet, alarms, schedule and options")

	for name, edit := range map[string]func(d *Definition){
		"destination bucket":  func(d *Definition) { d.S3.Destination.Bucket = "archive-2" },
		"destination prefix":  func(d *Definition) { d.S3.Destination.Prefix = "2026/" },
		"destination profile": func(d *Definition) { d.S3.Destination.ProfileID = "other" },
		"source region":       func(d *Definition) { d.S3.Source.Region = "eu-west-1" },
		"source prefix":       func(d *Definition) { d.S3.Source.Prefix = "" },
	} {
		d := s3def()
		edit(&d)
		assert.True(t, sidesChanged(old, d), name)
	}

	img := func() Definition {
		return Definition{Image: &ImageSpec{
			Source:      ImageSource{ProfileID: "reg", ImageSource: spec.ImageSource{Kind: RegistryKind, References: []string{"team/app:v1"}}},
			Destination: ImageDestination{ProfileID: "ecr", ImageDestination: spec.ImageDestination{Kind: ECRKind, Prefix: "mirror"}},
		}, Cloud: &CloudOptions{ProfileID: "aws1"}}
	}
	oldImg := img()
	d := img()
	d.Cloud.MaxCopiers = 4
	assert.False(t, sidesChanged(oldImg, d))
	d.Image.Destination.Prefix = "copies"
	assert.True(t, sidesChanged(oldImg, d))
	d = img()
	d.Image.Source.ProfileID = "reg2"
	assert.True(t, sidesChanged(oldImg, d))
}
