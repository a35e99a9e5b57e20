package cost

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// prices/<partition>.json are the price tables: one per partition, dated, with where
// each figure comes from. Edit a table (and its date) when AWS changes a list price.
//
//go:embed prices/*.json
var priceFiles embed.FS

// Table is the list prices of one partition, in its currency.
type Table struct {
	Partition string `json:"partition"`
	Currency  string `json:"currency"`
	// Date the prices were taken from their sources; Region whose prices they are.
	Date   string `json:"date"`
	Region string `json:"region"`
	Note   string `json:"note,omitempty"`
	// Unverified says which figures could not be checked against a found copy of
	// their source.
	Unverified string   `json:"unverified,omitempty"`
	Sources    []Source `json:"sources"`

	S3 struct {
		// PutPer1000 is the price of 1,000 PUT, COPY, POST or LIST requests (S3
		// Standard); GetPer1000 of 1,000 GET, HEAD and other requests.
		PutPer1000 float64 `json:"putPer1000"`
		GetPer1000 float64 `json:"getPer1000"`
	} `json:"s3"`
	Transfer struct {
		// InternetPerGB: out to the internet (another partition or cloud, this
		// computer), the first tier; InterRegionPerGB: to another Region of the
		// partition.
		InternetPerGB    float64 `json:"internetPerGB"`
		InterRegionPerGB float64 `json:"interRegionPerGB"`
	} `json:"transfer"`
	// EC2 is the on-demand Linux price of an instance per hour, .large sizes.
	EC2     map[string]float64 `json:"ec2"`
	Fargate map[string]struct {
		VCPUHour float64 `json:"vcpuHour"`
		GBHour   float64 `json:"gbHour"`
	} `json:"fargate"`
	DynamoDB struct {
		WriteUnitsPerMillion float64 `json:"writeUnitsPerMillion"`
		ReadUnitsPerMillion  float64 `json:"readUnitsPerMillion"`
	} `json:"dynamodb"`
	SQS struct {
		RequestsPerMillion float64 `json:"requestsPerMillion"`
	} `json:"sqs"`
}

// Source is where some of a table's prices come from.
type Source struct {
	What    string `json:"what"`
	URL     string `json:"url"`
	Checked string `json:"checked"`
	// Found quotes the figures a found copy of a page gave, and where.
	Found string `json:"found,omitempty"`
}

// Tables returns the embedded price tables by partition (read each time: they are
// three small files, and nothing is cached in the package).
func Tables() (map[string]Table, error) {
	tables := map[string]Table{}
	entries, err := priceFiles.ReadDir("prices")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := priceFiles.ReadFile("prices/" + e.Name())
		if err != nil {
			return nil, err
		}
		var t Table
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("price table %s: %w", e.Name(), err)
		}
		tables[t.Partition] = t
	}
	return tables, nil
}

// PriceTable returns the table of a partition.
func PriceTable(partition string) (Table, error) {
	ts, err := Tables()
	if err != nil {
		return Table{}, err
	}
	t, ok := ts[partition]
	if !ok {
		return Table{}, fmt.Errorf("no price table for partition %q: aws, aws-cn or aws-us-gov", partition)
	}
	return t, nil
}

var sizeRE = regexp.MustCompile(`^([a-z0-9-]+)\.(large|xlarge|([0-9]+)xlarge)$`)

// InstanceHour is an instance type's on-demand price per hour. The table holds the
// .large size of each family; within a family each size up doubles the price (AWS's
// own rule for these families): xlarge is 2×, 2xlarge 4×, 4xlarge 8×.
func (t Table) InstanceHour(instanceType string) (float64, error) {
	m := sizeRE.FindStringSubmatch(instanceType)
	if m == nil {
		return 0, fmt.Errorf("instance type %q: family.size, e.g. c7g.large", instanceType)
	}
	base, ok := t.EC2[m[1]+".large"]
	if !ok {
		return 0, fmt.Errorf("no price for instance family %s in %s (the table has %s)", m[1], t.Partition, strings.Join(familyList(t), ", "))
	}
	switch {
	case m[2] == "large":
		return base, nil
	case m[2] == "xlarge":
		return 2 * base, nil
	}
	var n int
	fmt.Sscanf(m[3], "%d", &n)
	return 2 * float64(n) * base, nil
}

func familyList(t Table) []string {
	var out []string
	for k := range t.EC2 {
		out = append(out, strings.TrimSuffix(k, ".large"))
	}
	slices.Sort(out)
	return out
}
