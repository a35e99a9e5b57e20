package s3sync

import (
	"context"
	"fmt"

	"transferhub/cloud/objstore"
)

// What a copy is checked against: the destination's answers (ETags, where they can say
// anything) and full-object CRC-64/NVME checksums.

// dstOpaque reports whether the destination's ETags are known not to be MD5s of the
// content (SSE-KMS): ETag checks of what was written are then skipped, and Content-MD5,
// which the store checks on every write, is the integrity guard.
func (w *Worker) dstOpaque() bool {
	return objstore.OpaqueETags(w.Dst)
}

// wroteOther reports whether the destination answered a write of data with MD5 hexSum
// with an ETag that says the data is something else.
func (w *Worker) wroteOther(etag, hexSum string) bool {
	return isMD5ETag(etag) && !w.dstOpaque() && etag != hexSum
}

// expectETag is the multipart ETag the destination should give parts, "" when it cannot
// be known (a part ETag is not an MD5, or the destination's ETags are opaque).
func (w *Worker) expectETag(parts []objstore.Part) string {
	if w.dstOpaque() {
		return ""
	}
	return multipartETag(parts)
}

// wholeCRC combines the parts' checksums into the object's; false when a part has none.
func wholeCRC(parts []objstore.Part) (uint64, bool) {
	var crc uint64
	for i, p := range parts {
		c, ok := objstore.ParseCRC(p.CRC64NVME)
		if !ok {
			return 0, false
		}
		if i == 0 {
			crc = c
			continue
		}
		crc = objstore.CombineCRC64NVME(crc, c, p.Size)
	}
	return crc, len(parts) > 0
}

// errCRC is a copy whose data does not have the source's full-object checksum.
func errCRC(key string, got uint64, want string) error {
	return fmt.Errorf("copy of %s: data CRC-64/NVME %s does not match the source's %s", key, objstore.CRCString(got), want)
}

// crcPrefix marks a record's checksum as CRC-64/NVME (state's Checksum fields are "ALGO:value").
const crcPrefix = "CRC64NVME:"

// crcChecksum is a record's checksum for crc.
func crcChecksum(crc uint64) string { return partChecksum(objstore.CRCString(crc)) }

// partChecksum is a record's checksum for a base64 CRC-64/NVME ("" for none).
func partChecksum(crc string) string {
	if crc == "" {
		return ""
	}
	return crcPrefix + crc
}

// completion is what checkParts found: the ETag the completed object must have ("" when
// it cannot be known), the whole object's checksum to send, and the record's checksum.
type completion struct {
	expect   string
	full     objstore.Sums
	checksum string
}

// checkParts checks an upload's parts before it is completed: parts of a reproduced
// source layout must give the source's ETag, and their combined CRC-64/NVME the source's
// full-object checksum. Both the worker's multipart copy and the fleet's giant objects
// complete through it.
func (w *Worker) checkParts(p multipartPlan, parts []objstore.Part) (completion, error) {
	key := p.jo.Key
	c := completion{expect: w.expectETag(parts)}
	if p.lay.reproduced && isMultipartETag(p.jo.ETag) && !p.srcOpaque && c.expect != "" && c.expect != p.jo.ETag {
		return c, fmt.Errorf("copy of %s: parts give ETag %s, the source has %s", key, c.expect, p.jo.ETag)
	}
	if crc, ok := wholeCRC(parts); ok && p.withCRC {
		if p.srcCRC != "" && objstore.CRCString(crc) != p.srcCRC {
			return c, errCRC(key, crc, p.srcCRC)
		}
		c.full.CRC64NVME, c.checksum = objstore.CRCBytes(crc), crcChecksum(crc)
	}
	return c, nil
}

// checkCompleted checks the ETag a completed upload got against the expected one and
// removes a copy that is not what the parts say.
func (w *Worker) checkCompleted(ctx context.Context, key, etag, expect string) error {
	if expect != "" && isMultipartETag(etag) && etag != expect {
		_ = w.Dst.Delete(ctx, key)
		return fmt.Errorf("copy of %s: destination ETag %s, expected %s: copy removed", key, etag, expect)
	}
	return nil
}
