package objstore

import (
	"math/rand"
	"testing"
)

func TestCRC64NVMECheckValue(t *testing.T) {
	// The catalogue check value of CRC-64/NVME.
	if got := CRC64NVME([]byte("123456789")); got != 0xae8b14860a799888 {
		t.Fatalf("CRC-64/NVME of 123456789 = %x, want ae8b14860a799888", got)
	}
}

func TestCombineCRC64NVME(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	for _, sizes := range [][]int{{0, 5}, {5, 0}, {1, 1}, {1000, 3}, {4096, 8191, 1}, {1 << 20, 12345, 77, 3 << 20}} {
		var all []byte
		var crc uint64
		for i, n := range sizes {
			b := make([]byte, n)
			rnd.Read(b)
			all = append(all, b...)
			if i == 0 {
				crc = CRC64NVME(b)
				continue
			}
			crc = CombineCRC64NVME(crc, CRC64NVME(b), int64(n))
		}
		if want := CRC64NVME(all); crc != want {
			t.Errorf("parts %v: combined %x, whole %x", sizes, crc, want)
		}
	}
	if c, ok := ParseCRC(CRCString(0x0123456789abcdef)); !ok || c != 0x0123456789abcdef {
		t.Errorf("round trip through base64: %x %v", c, ok)
	}
}
