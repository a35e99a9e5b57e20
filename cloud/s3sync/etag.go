package s3sync

import (
	"encoding/hex"
	"fmt"
	"strings"
)

func isMultipartETag(etag string) bool { return strings.Contains(etag, "-") }

func isMD5ETag(etag string) bool {
	if len(etag) != 32 {
		return false
	}
	_, err := hex.DecodeString(etag)
	return err == nil
}

func partsFromETag(etag string) int {
	i := strings.LastIndexByte(etag, '-')
	if i < 0 {
		return 0
	}
	n := 0
	fmt.Sscan(etag[i+1:], &n)
	return n
}
