package objstore

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc64"
)

// Sums are the checksums of a body, computed while it streamed through. MD5 goes as
// Content-MD5, which every S3 store checks. CRC64NVME goes as x-amz-checksum-crc64nvme
// where the location takes checksums; it is the full-object checksum Amazon S3 keeps
// for new objects, so copies can be verified end to end against the source's.
type Sums struct {
	MD5       []byte
	CRC64NVME []byte // 8 bytes, big-endian; nil when not computed
}

// crc64NVMETable is CRC-64/NVME: polynomial 0xad93d23594c93659 (reflected below), with
// the initial value and final XOR of all ones that hash/crc64 applies.
var crc64NVMETable = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// CRC64NVME returns the CRC-64/NVME of b.
func CRC64NVME(b []byte) uint64 { return crc64.Checksum(b, crc64NVMETable) }

// CRCBytes is crc as S3 sends it (8 bytes, big-endian).
func CRCBytes(crc uint64) []byte { return binary.BigEndian.AppendUint64(nil, crc) }

// CRCString is crc as it appears in S3 headers and XML (base64 of the 8 bytes).
func CRCString(crc uint64) string { return base64.StdEncoding.EncodeToString(CRCBytes(crc)) }

// ParseCRC reads a base64 CRC-64/NVME as S3 sends it.
func ParseCRC(s string) (uint64, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// CombineCRC64NVME returns the CRC-64/NVME of A followed by B from crcA = CRC(A),
// crcB = CRC(B) and the length of B, as zlib's crc32_combine does for CRC-32: parts
// checksummed apart (by several workers) give the whole object's checksum.
func CombineCRC64NVME(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	// Operators on GF(2) 64-bit vectors: odd is the operator for one zero bit.
	var even, odd [64]uint64
	odd[0] = 0x9a6c9329ac4bc9b5
	row := uint64(1)
	for n := 1; n < 64; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	// Apply lenB zero bytes to crcA, one bit of lenB at a time: each square of the
	// operator doubles the zeros it applies (the first one gives one zero byte).
	sq, op := &even, &odd
	for lenB != 0 {
		gf2Square(sq, op)
		if lenB&1 != 0 {
			crcA = gf2Times(sq, crcA)
		}
		lenB >>= 1
		sq, op = op, sq
	}
	return crcA ^ crcB
}

func gf2Times(mat *[64]uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[64]uint64) {
	for n := 0; n < 64; n++ {
		square[n] = gf2Times(mat, mat[n])
	}
}
