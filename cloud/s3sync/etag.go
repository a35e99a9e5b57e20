package s3sync

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"

	"transferhub/cloud/objstore"
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

// multipartETag is S3's multipart ETag of the parts: MD5 of the part MD5s, "-N"; "" when
// a part ETag is not an MD5 (KMS-encrypted destinations).
func multipartETag(parts []objstore.Part) string {
	h := md5.New()
	for _, p := range parts {
		b, err := hex.DecodeString(p.ETag)
		if err != nil || len(b) != md5.Size {
			return ""
		}
		h.Write(b)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts))
}
