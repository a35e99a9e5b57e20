package ecr

import (
	"testing"

	"transferhub/cloud/objstore"
)

func TestHostsPerPartition(t *testing.T) {
	cases := []struct{ account, region, host, partition string }{
		{"123456789012", "us-east-1", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "aws"},
		{"111122223333", "cn-north-1", "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn", "aws-cn"},
		{"111122223333", "cn-northwest-1", "111122223333.dkr.ecr.cn-northwest-1.amazonaws.com.cn", "aws-cn"},
		{"444455556666", "us-gov-west-1", "444455556666.dkr.ecr.us-gov-west-1.amazonaws.com", "aws-us-gov"},
	}
	for _, c := range cases {
		if h := Host(c.account, c.region); h != c.host {
			t.Errorf("Host(%s, %s) = %s, want %s", c.account, c.region, h, c.host)
		}
		if p := objstore.Partition(c.region); p != c.partition {
			t.Errorf("Partition(%s) = %s", c.region, p)
		}
		a, r, ok := ParseHost(c.host)
		if !ok || a != c.account || r != c.region {
			t.Errorf("ParseHost(%s) = %s %s %v", c.host, a, r, ok)
		}
	}
	for _, h := range []string{"registry.example.com", "123.dkr.ecr.us-east-1.amazonaws.com", "123456789012.dkr.ecr.us-east-1.example.com", "public.ecr.aws"} {
		if _, _, ok := ParseHost(h); ok {
			t.Errorf("ParseHost(%s) accepted", h)
		}
	}
	for _, c := range []Config{{Region: "us-east-1", Account: "12"}, {Region: "useast1"}, {Region: ""}} {
		if c.Validate() == nil {
			t.Errorf("Validate(%+v) accepted", c)
		}
	}
}
