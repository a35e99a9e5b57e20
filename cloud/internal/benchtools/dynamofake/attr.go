package dynamofake

import (
	"bytes"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// AV is an attribute value as DynamoDB's JSON protocol writes it ({"S": "x"},
// {"N": "1"}, {"B": base64}, ...). Exactly one field is set.
type AV struct {
	S    *string       `json:"S,omitempty"`
	N    *string       `json:"N,omitempty"`
	B    []byte        `json:"B,omitempty"`
	BOOL *bool         `json:"BOOL,omitempty"`
	NULL *bool         `json:"NULL,omitempty"`
	M    map[string]AV `json:"M,omitempty"`
	L    []AV          `json:"L,omitempty"`
	SS   []string      `json:"SS,omitempty"`
	NS   []string      `json:"NS,omitempty"`
	BS   [][]byte      `json:"BS,omitempty"`
}

// Item is an item: attribute name → value.
type Item map[string]AV

func numAV(n *big.Rat) AV {
	s := n.FloatString(0)
	if !n.IsInt() {
		s = strings.TrimRight(n.FloatString(20), "0")
	}
	return AV{N: &s}
}

// kind names the value's type as DynamoDB does (S, N, B, ...).
func (v AV) kind() string {
	switch {
	case v.S != nil:
		return "S"
	case v.N != nil:
		return "N"
	case v.B != nil:
		return "B"
	case v.BOOL != nil:
		return "BOOL"
	case v.NULL != nil:
		return "NULL"
	case v.M != nil:
		return "M"
	case v.L != nil:
		return "L"
	case v.SS != nil:
		return "SS"
	case v.NS != nil:
		return "NS"
	case v.BS != nil:
		return "BS"
	}
	return ""
}

func parseNum(s string) (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("the number %q is not valid", s)
	}
	return r, nil
}

// compare orders two scalar values of one type (S, N or B); ok is false when they
// cannot be ordered (different or non-scalar types).
func compare(a, b AV) (int, bool) {
	if a.kind() != b.kind() {
		return 0, false
	}
	switch a.kind() {
	case "S":
		return strings.Compare(*a.S, *b.S), true
	case "B":
		return bytes.Compare(a.B, b.B), true
	case "N":
		x, err1 := parseNum(*a.N)
		y, err2 := parseNum(*b.N)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return x.Cmp(y), true
	}
	return 0, false
}

// equal reports whether two values are the same (any type).
func equal(a, b AV) bool {
	if a.kind() != b.kind() {
		return false
	}
	switch a.kind() {
	case "S", "N", "B":
		c, _ := compare(a, b)
		return c == 0
	case "BOOL":
		return *a.BOOL == *b.BOOL
	case "NULL":
		return true
	case "M":
		if len(a.M) != len(b.M) {
			return false
		}
		for k, v := range a.M {
			w, ok := b.M[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case "L":
		return slices.EqualFunc(a.L, b.L, equal)
	case "SS":
		return sameSet(a.SS, b.SS)
	case "NS":
		return sameSet(a.NS, b.NS)
	case "BS":
		x := make([]string, len(a.BS))
		y := make([]string, len(b.BS))
		for i := range a.BS {
			x[i] = string(a.BS[i])
		}
		for i := range b.BS {
			y[i] = string(b.BS[i])
		}
		return sameSet(x, y)
	}
	return false
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// size is roughly the item's size as DynamoDB counts it (names plus values): what the
// 1 MB page limit of Query counts.
func (it Item) size() int {
	n := 0
	for k, v := range it {
		n += len(k) + v.size()
	}
	return n
}

func (v AV) size() int {
	switch {
	case v.S != nil:
		return len(*v.S)
	case v.N != nil:
		return len(*v.N)/2 + 1
	case v.B != nil:
		return len(v.B)
	case v.M != nil:
		n := 3
		for k, w := range v.M {
			n += len(k) + w.size() + 1
		}
		return n
	case v.L != nil:
		n := 3
		for _, w := range v.L {
			n += w.size() + 1
		}
		return n
	case v.SS != nil:
		n := 0
		for _, s := range v.SS {
			n += len(s)
		}
		return n
	case v.NS != nil:
		return len(v.NS) * 8
	case v.BS != nil:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	}
	return 1
}
