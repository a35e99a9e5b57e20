package dynamostore

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"transferhub/cloud/state"
)

// The objects of a job item are stored as one binary attribute (see jobs.go): entries in
// key order, each key written as the length it shares with the previous key plus the
// rest, numbers as varints (times as differences from the previous entry), MD5 ETags and
// CRC-64 checksums as their raw bytes, and the whole deflated when that is smaller. A
// 200-object job of small files takes 4-6 KB where 200 items took 200 writes.

// entry is one object of a job item; its run is the job's.
type entry struct {
	Key          string
	Size         int64
	ETag         string
	Checksum     string
	LastModified int64 // UnixNanos
	Status       state.ItemStatus
	Attempts     int
	Error        string
	DestETag     string
	UploadID     string
	PartsTotal   int
	PartsDone    int
	Updated      int64 // UnixNanos
	// Shadow: a FAILED copy of the record exists (or must go) in the sparse failed index
	// (see shadows in jobs.go).
	Shadow bool
}

func (e entry) object(run string) state.Object {
	return state.Object{Key: e.Key, Size: e.Size, ETag: e.ETag, Checksum: e.Checksum,
		LastModified: state.FromUnixNanos(e.LastModified), Status: e.Status, Attempts: e.Attempts, Error: e.Error,
		DestETag: e.DestETag, UploadID: e.UploadID, PartsTotal: e.PartsTotal, PartsDone: e.PartsDone, RunID: run,
		UpdatedAt: state.FromUnixNanos(e.Updated)}
}

func entryOf(o state.Object, attempts int, updated int64) entry {
	return entry{Key: o.Key, Size: o.Size, ETag: o.ETag, Checksum: o.Checksum, LastModified: state.UnixNanos(o.LastModified),
		Status: o.Status, Attempts: attempts, Error: o.Error, DestETag: o.DestETag, UploadID: o.UploadID,
		PartsTotal: o.PartsTotal, PartsDone: o.PartsDone, Updated: updated}
}

const (
	codecVersion = 1
	formatRaw    = 0
	formatFlate  = 1
)

var statuses = []state.ItemStatus{state.ItemPending, state.ItemInProgress, state.ItemDone, state.ItemSkipped, state.ItemFailed}

func statusCode(s state.ItemStatus) (byte, error) {
	for i, v := range statuses {
		if v == s {
			return byte(i), nil
		}
	}
	return 0, fmt.Errorf("unknown status %q", s)
}

// Entry flags.
const (
	flagETag = 1 << iota
	flagChecksum
	flagError
	flagDestSame // DestETag equals ETag
	flagDest     // DestETag differs and is stored
	flagUpload   // UploadID, PartsTotal, PartsDone
	flagShadow
)

// Compact value kinds (ETags, checksums): how the string is written.
const (
	kindRaw       = 0 // length + bytes
	kindMD5       = 1 // 32 lower-case hex digits: 16 bytes
	kindMultipart = 2 // 32 hex digits "-" N: 16 bytes + N
	kindCRC64     = 3 // "CRC64NVME:" + base64 of 8 bytes: 8 bytes
)

type writer struct{ bytes.Buffer }

func (w *writer) uvarint(v uint64) { w.Write(binary.AppendUvarint(nil, v)) }
func (w *writer) varint(v int64)   { w.Write(binary.AppendVarint(nil, v)) }
func (w *writer) str(s string)     { w.uvarint(uint64(len(s))); w.WriteString(s) }

// etag writes an ETag in its shortest exact form.
func (w *writer) etag(s string) {
	hexPart, parts, multi := strings.Cut(s, "-")
	if raw, ok := md5Hex(hexPart); ok {
		if !multi {
			w.WriteByte(kindMD5)
			w.Write(raw)
			return
		}
		if n, err := strconv.ParseUint(parts, 10, 32); err == nil && strconv.FormatUint(n, 10) == parts {
			w.WriteByte(kindMultipart)
			w.Write(raw)
			w.uvarint(n)
			return
		}
	}
	w.WriteByte(kindRaw)
	w.str(s)
}

func md5Hex(s string) ([]byte, bool) {
	if len(s) != 32 || strings.ToLower(s) != s {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

const crcPrefix = "CRC64NVME:"

// checksum writes a record checksum ("ALGO:value") in its shortest exact form.
func (w *writer) checksum(s string) {
	if v, ok := strings.CutPrefix(s, crcPrefix); ok {
		if b, err := base64.StdEncoding.DecodeString(v); err == nil && len(b) == 8 && base64.StdEncoding.EncodeToString(b) == v {
			w.WriteByte(kindCRC64)
			w.Write(b)
			return
		}
	}
	w.WriteByte(kindRaw)
	w.str(s)
}

// encodeEntries renders sorted, distinct entries.
func encodeEntries(es []entry) ([]byte, error) {
	var w writer
	w.uvarint(uint64(len(es)))
	var prev entry
	for i, e := range es {
		if i > 0 && e.Key <= prev.Key {
			return nil, fmt.Errorf("job entries out of order: %q after %q", e.Key, prev.Key)
		}
		shared := commonPrefix(prev.Key, e.Key)
		w.uvarint(uint64(shared))
		w.str(e.Key[shared:])
		st, err := statusCode(e.Status)
		if err != nil {
			return nil, err
		}
		var flags byte
		if e.ETag != "" {
			flags |= flagETag
		}
		if e.Checksum != "" {
			flags |= flagChecksum
		}
		if e.Error != "" {
			flags |= flagError
		}
		switch {
		case e.DestETag == "":
		case e.DestETag == e.ETag:
			flags |= flagDestSame
		default:
			flags |= flagDest
		}
		if e.UploadID != "" || e.PartsTotal != 0 || e.PartsDone != 0 {
			flags |= flagUpload
		}
		if e.Shadow {
			flags |= flagShadow
		}
		w.WriteByte(flags)
		w.WriteByte(st)
		w.uvarint(uint64(max(e.Attempts, 0)))
		w.varint(e.Size)
		w.varint(e.LastModified - prev.LastModified)
		w.varint(e.Updated - prev.Updated)
		if flags&flagETag != 0 {
			w.etag(e.ETag)
		}
		if flags&flagChecksum != 0 {
			w.checksum(e.Checksum)
		}
		if flags&flagError != 0 {
			w.str(e.Error)
		}
		if flags&flagDest != 0 {
			w.etag(e.DestETag)
		}
		if flags&flagUpload != 0 {
			w.str(e.UploadID)
			w.uvarint(uint64(max(e.PartsTotal, 0)))
			w.uvarint(uint64(max(e.PartsDone, 0)))
		}
		prev = e
	}
	raw := w.Bytes()
	out := []byte{codecVersion, formatRaw}
	var z bytes.Buffer
	zw, _ := flate.NewWriter(&z, flate.BestCompression)
	zw.Write(raw)
	zw.Close()
	if z.Len() < len(raw) {
		return append([]byte{codecVersion, formatFlate}, z.Bytes()...), nil
	}
	return append(out, raw...), nil
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

type reader struct {
	*bytes.Reader
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) uvarint() uint64 {
	v, err := binary.ReadUvarint(r)
	r.fail(err)
	return v
}

func (r *reader) varint() int64 {
	v, err := binary.ReadVarint(r)
	r.fail(err)
	return v
}

func (r *reader) byte() byte {
	b, err := r.ReadByte()
	r.fail(err)
	return b
}

func (r *reader) bytes(n uint64) []byte {
	if n > uint64(r.Len()) {
		r.fail(io.ErrUnexpectedEOF)
		return nil
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	r.fail(err)
	return b
}

func (r *reader) str() string { return string(r.bytes(r.uvarint())) }

func (r *reader) etag() string {
	switch r.byte() {
	case kindMD5:
		return hex.EncodeToString(r.bytes(16))
	case kindMultipart:
		h := hex.EncodeToString(r.bytes(16))
		return h + "-" + strconv.FormatUint(r.uvarint(), 10)
	case kindRaw:
		return r.str()
	}
	r.fail(errors.New("unknown ETag kind"))
	return ""
}

func (r *reader) checksum() string {
	switch r.byte() {
	case kindCRC64:
		return crcPrefix + base64.StdEncoding.EncodeToString(r.bytes(8))
	case kindRaw:
		return r.str()
	}
	r.fail(errors.New("unknown checksum kind"))
	return ""
}

// decodeEntries reads what encodeEntries wrote.
func decodeEntries(b []byte) ([]entry, error) {
	if len(b) < 2 || b[0] != codecVersion {
		return nil, fmt.Errorf("job item: unknown encoding (this build reads version %d)", codecVersion)
	}
	body := b[2:]
	switch b[1] {
	case formatRaw:
	case formatFlate:
		raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(body)))
		if err != nil {
			return nil, fmt.Errorf("job item: inflate: %w", err)
		}
		body = raw
	default:
		return nil, fmt.Errorf("job item: unknown format %d", b[1])
	}
	r := &reader{Reader: bytes.NewReader(body)}
	n := r.uvarint()
	if n > uint64(len(body)) {
		return nil, errors.New("job item: corrupt entry count")
	}
	es := make([]entry, 0, n)
	var prev entry
	for i := uint64(0); i < n && r.err == nil; i++ {
		shared := r.uvarint()
		if shared > uint64(len(prev.Key)) {
			return nil, errors.New("job item: corrupt key")
		}
		e := entry{Key: prev.Key[:shared] + r.str()}
		flags := r.byte()
		st := r.byte()
		if int(st) >= len(statuses) {
			return nil, fmt.Errorf("job item: unknown status %d", st)
		}
		e.Status = statuses[st]
		e.Attempts = int(r.uvarint())
		e.Size = r.varint()
		e.LastModified = prev.LastModified + r.varint()
		e.Updated = prev.Updated + r.varint()
		if flags&flagETag != 0 {
			e.ETag = r.etag()
		}
		if flags&flagChecksum != 0 {
			e.Checksum = r.checksum()
		}
		if flags&flagError != 0 {
			e.Error = r.str()
		}
		switch {
		case flags&flagDestSame != 0:
			e.DestETag = e.ETag
		case flags&flagDest != 0:
			e.DestETag = r.etag()
		}
		if flags&flagUpload != 0 {
			e.UploadID = r.str()
			e.PartsTotal = int(r.uvarint())
			e.PartsDone = int(r.uvarint())
		}
		e.Shadow = flags&flagShadow != 0
		es = append(es, e)
		prev = e
	}
	if r.err != nil {
		return nil, fmt.Errorf("job item: %w", r.err)
	}
	return es, nil
}
