package objstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Local is a directory used as a source or destination. Keys are slash-separated paths
// below it; listings come in the same byte order as S3's (a plain directory walk would
// put "a/b" before "a.txt", which breaks a sorted merge).
type Local struct {
	root string
	raw  string
}

// hidden names never listed: open uploads and temporary files of this engine.
const (
	localUploads = ".thub-uploads"
	localTmp     = ".thub-tmp-"
)

// OpenLocal opens a directory. It does not touch the disk; Check does.
func OpenLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local path %q: %w", dir, err)
	}
	return &Local{root: abs, raw: dir}, nil
}

// Root returns the absolute directory.
func (l *Local) Root() string { return l.root }

func (l *Local) URL() string { return l.raw }

func (l *Local) Check(ctx context.Context, write bool) error {
	st, err := os.Stat(l.root)
	if errors.Is(err, fs.ErrNotExist) && write {
		if err := os.MkdirAll(l.root, 0o755); err != nil {
			return fmt.Errorf("create destination directory %s: %w", l.root, classify(err))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("directory %s: %w", l.root, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", l.root)
	}
	if write {
		// A directory that takes no file (read-only, not ours, full of inodes) fails
		// every object: say so before anything is copied.
		f, err := os.CreateTemp(l.root, localTmp+"check-*")
		if err != nil {
			return fmt.Errorf("destination directory %s is not writable: %w", l.root, classify(err))
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

// path maps a key to a file path, refusing keys a file system cannot hold faithfully.
func (l *Local) path(key string) (string, error) {
	k := strings.TrimSuffix(key, "/")
	if k == "" || strings.HasPrefix(k, "/") || strings.Contains(k, "//") || strings.ContainsRune(k, 0) {
		return "", fmt.Errorf("%w: %q is not a valid local file path", ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(k, "/") {
		if seg == "." || seg == ".." || seg == localUploads || strings.HasPrefix(seg, localTmp) {
			return "", fmt.Errorf("%w: %q has the segment %q, which a local directory cannot hold", ErrInvalidKey, key, seg)
		}
	}
	return filepath.Join(l.root, filepath.FromSlash(k)), nil
}

type walkEntry struct {
	key  string // relative key; directories end in "/"
	dir  bool
	info fs.FileInfo
}

// readDir returns the entries of one directory as keys in byte order.
func (l *Local) readDir(dirKey string) ([]walkEntry, error) {
	des, err := os.ReadDir(filepath.Join(l.root, filepath.FromSlash(dirKey)))
	if err != nil {
		return nil, err
	}
	out := make([]walkEntry, 0, len(des))
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, localTmp) {
			if info, err := de.Info(); err == nil && info.Mode().IsRegular() {
				reapTemp(filepath.Join(l.root, filepath.FromSlash(dirKey), name), info)
			}
			continue
		}
		if dirKey == "" && name == localUploads {
			continue
		}
		info, err := de.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while listing
			}
			return nil, err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			// Follow links to files; links to directories could loop, so they are skipped.
			st, err := os.Stat(filepath.Join(l.root, filepath.FromSlash(dirKey), name))
			if err != nil || st.IsDir() {
				continue
			}
			info = st
		}
		switch {
		case info.IsDir():
			out = append(out, walkEntry{key: dirKey + name + "/", dir: true, info: info})
		case info.Mode().IsRegular():
			out = append(out, walkEntry{key: dirKey + name, info: info})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, nil
}

func fileObject(key string, info fs.FileInfo) Object {
	return Object{Key: key, Size: info.Size(), LastModified: info.ModTime().UTC(), StorageClass: "LOCAL"}
}

func (l *Local) List(ctx context.Context, prefix, startAfter string, fn func(Page) error) error {
	var page Page
	flush := func() error {
		if len(page.Objects) == 0 {
			return nil
		}
		err := fn(page)
		page = Page{}
		return err
	}
	var walk func(dirKey string) error
	walk = func(dirKey string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := l.readDir(dirKey)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && dirKey != "" {
				return nil
			}
			return fmt.Errorf("list %s: %w", filepath.Join(l.root, dirKey), err)
		}
		for _, e := range ents {
			if e.dir {
				// Descend only where the subtree can hold keys with the prefix that sort
				// after startAfter.
				if !strings.HasPrefix(e.key, prefix) && !strings.HasPrefix(prefix, e.key) {
					continue
				}
				if e.key <= startAfter && !strings.HasPrefix(startAfter, e.key) {
					continue
				}
				if err := walk(e.key); err != nil {
					return err
				}
				continue
			}
			if !strings.HasPrefix(e.key, prefix) || e.key <= startAfter {
				continue
			}
			page.Objects = append(page.Objects, fileObject(e.key, e.info))
			if len(page.Objects) >= 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return err
	}
	return flush()
}

func (l *Local) ListDir(ctx context.Context, prefix string, limit int) (Page, bool, error) {
	dirKey, rest := "", prefix
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dirKey, rest = prefix[:i+1], prefix[i+1:]
	}
	ents, err := l.readDir(dirKey)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Page{}, false, nil
		}
		return Page{}, false, fmt.Errorf("list %s: %w", filepath.Join(l.root, dirKey), err)
	}
	var p Page
	for _, e := range ents {
		if !strings.HasPrefix(e.key[len(dirKey):], rest) {
			continue
		}
		if e.dir {
			p.Dirs = append(p.Dirs, e.key)
		} else {
			p.Objects = append(p.Objects, fileObject(e.key, e.info))
		}
	}
	return p, false, nil
}

func (l *Local) Head(ctx context.Context, key string, partNumber int) (Info, error) {
	p, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || err == nil && st.IsDir() {
		return Info{}, fmt.Errorf("head %s: %w", p, ErrNotFound)
	}
	if err != nil {
		return Info{}, fmt.Errorf("head %s: %w", p, classify(err))
	}
	return Info{Object: fileObject(key, st), Headers: Headers{ContentType: mime.TypeByExtension(path.Ext(key)), ModTime: st.ModTime()}}, nil
}

type fileReader struct {
	io.Reader
	f *os.File
}

func (r fileReader) Close() error { return r.f.Close() }

func (l *Local) Get(ctx context.Context, key string, off, length int64, ifMatch string) (io.ReadCloser, Info, error) {
	info, err := l.Head(ctx, key, 0)
	if err != nil {
		return nil, Info{}, err
	}
	p, _ := l.path(key)
	f, err := os.Open(p)
	if err != nil {
		return nil, Info{}, fmt.Errorf("open %s: %w", p, classify(err))
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("seek %s: %w", p, err)
	}
	var r io.Reader = f
	if length >= 0 {
		r = io.LimitReader(f, length)
	}
	return fileReader{Reader: r, f: f}, info, nil
}

// writeFile writes data to a temporary file next to dst and renames it into place, so a
// reader never sees a half-written file. The temporary file is locked until it is
// renamed (where the system can), so that one left by a killed process is told from one
// being written and removed by the next listing (reapTemp).
func writeFile(dst string, write func(*os.File) error, mtime time.Time) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), localTmp+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_ = lockTemp(f) // without a lock the file is merely taken for stale later
	closed, ok := false, false
	defer func() {
		if !closed {
			f.Close()
		}
		if !ok {
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(tmp, mtime, mtime); err != nil {
			return err
		}
	}
	if !renameOpen {
		closed = true
		if err := f.Close(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	ok = true
	if !closed {
		closed = true
		return f.Close()
	}
	return nil
}

// reapTemp removes the temporary file at path when its writer is gone (killed mid-write):
// listings pass by every one in the directories they read, so a re-run cleans up after a
// killed run.
func reapTemp(path string, info fs.FileInfo) {
	if tempStale(path, info) {
		_ = os.Remove(path)
	}
}

func (l *Local) Put(ctx context.Context, key string, body []byte, sums Sums, h Headers) (string, error) {
	sum := sums.MD5
	p, err := l.path(key)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(key, "/") {
		// A directory marker: only an empty one maps to a directory.
		if len(body) != 0 {
			return "", fmt.Errorf("%w: %q ends in / but has data, so it cannot be a directory", ErrInvalidKey, key)
		}
		return "", classify(os.MkdirAll(p, 0o755))
	}
	if len(sum) > 0 {
		if got := md5.Sum(body); hex.EncodeToString(got[:]) != hex.EncodeToString(sum) {
			return "", fmt.Errorf("put %s: body does not match its MD5", p)
		}
	}
	err = writeFile(p, func(f *os.File) error { _, err := f.Write(body); return err }, h.ModTime)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", p, classify(err))
	}
	s := md5.Sum(body)
	return hex.EncodeToString(s[:]), nil
}

type localUpload struct {
	Key     string    `json:"key"`
	ModTime time.Time `json:"modTime"`
	Created time.Time `json:"created"`
}

func (l *Local) uploadDir(id string) (string, error) {
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return "", fmt.Errorf("bad upload id %q", id)
	}
	return filepath.Join(l.root, localUploads, id), nil
}

func (l *Local) CreateUpload(ctx context.Context, key string, h Headers, _ bool) (string, error) {
	if _, err := l.path(key); err != nil {
		return "", err
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	dir, _ := l.uploadDir(id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create upload for %s: %w", key, classify(err))
	}
	meta, _ := json.Marshal(localUpload{Key: key, ModTime: h.ModTime, Created: time.Now().UTC()})
	if err := writeFile(filepath.Join(dir, "upload.json"), func(f *os.File) error { _, err := f.Write(meta); return err }, time.Time{}); err != nil {
		return "", fmt.Errorf("create upload for %s: %w", key, classify(err))
	}
	return id, nil
}

func (l *Local) readUpload(id string) (localUpload, string, error) {
	dir, err := l.uploadDir(id)
	if err != nil {
		return localUpload{}, "", err
	}
	b, err := os.ReadFile(filepath.Join(dir, "upload.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return localUpload{}, "", fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return localUpload{}, "", err
	}
	var u localUpload
	if err := json.Unmarshal(b, &u); err != nil {
		return localUpload{}, "", fmt.Errorf("upload %s: %w", id, err)
	}
	return u, dir, nil
}

func (l *Local) UploadPart(ctx context.Context, key, uploadID string, number int, body []byte, sums Sums) (string, error) {
	sum := sums.MD5
	_, dir, err := l.readUpload(uploadID)
	if err != nil {
		return "", err
	}
	s := md5.Sum(body)
	etag := hex.EncodeToString(s[:])
	if len(sum) > 0 && etag != hex.EncodeToString(sum) {
		return "", fmt.Errorf("upload part %d of %s: body does not match its MD5", number, key)
	}
	// The part's MD5 is in its file name, so ListParts needs no side file.
	name := fmt.Sprintf("part-%05d-%s", number, etag)
	old, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("part-%05d-*", number)))
	if err := writeFile(filepath.Join(dir, name), func(f *os.File) error { _, err := f.Write(body); return err }, time.Time{}); err != nil {
		return "", fmt.Errorf("upload part %d of %s: %w", number, key, classify(err))
	}
	for _, o := range old {
		if filepath.Base(o) != name {
			os.Remove(o)
		}
	}
	return etag, nil
}

func (l *Local) ListParts(ctx context.Context, key, uploadID string) ([]Part, error) {
	_, dir, err := l.readUpload(uploadID)
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var parts []Part
	for _, de := range des {
		var n int
		var etag string
		name := de.Name()
		if !strings.HasPrefix(name, "part-") || len(name) < 12 {
			continue
		}
		n, err := strconv.Atoi(name[5:10])
		if err != nil {
			continue
		}
		etag = name[11:]
		info, err := de.Info()
		if err != nil {
			continue
		}
		parts = append(parts, Part{Number: n, Size: info.Size(), ETag: etag})
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Number < parts[j].Number })
	return parts, nil
}

// CompleteUpload: files keep no checksum, so full is not used (the parts' MD5s were checked).
func (l *Local) CompleteUpload(ctx context.Context, key, uploadID string, parts []Part, _ Sums) (string, error) {
	u, dir, err := l.readUpload(uploadID)
	if err != nil {
		return "", err
	}
	dst, err := l.path(key)
	if err != nil {
		return "", err
	}
	all := md5.New()
	err = writeFile(dst, func(f *os.File) error {
		for _, p := range parts {
			pf, err := os.Open(filepath.Join(dir, fmt.Sprintf("part-%05d-%s", p.Number, p.ETag)))
			if err != nil {
				return fmt.Errorf("part %d: %w", p.Number, err)
			}
			_, err = io.Copy(f, pf)
			pf.Close()
			if err != nil {
				return err
			}
			b, _ := hex.DecodeString(p.ETag)
			all.Write(b)
		}
		return nil
	}, u.ModTime)
	if err != nil {
		return "", fmt.Errorf("complete upload of %s: %w", key, classify(err))
	}
	os.RemoveAll(dir)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(all.Sum(nil)), len(parts)), nil
}

func (l *Local) AbortUpload(ctx context.Context, key, uploadID string) error {
	dir, err := l.uploadDir(uploadID)
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

func (l *Local) ListUploads(ctx context.Context, key string) ([]Upload, error) {
	des, err := os.ReadDir(filepath.Join(l.root, localUploads))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ups []Upload
	for _, de := range des {
		u, _, err := l.readUpload(de.Name())
		if errors.Is(err, ErrNotFound) {
			// Created by a process killed before it wrote upload.json: nobody's.
			if info, ierr := de.Info(); ierr == nil && time.Since(info.ModTime()) > time.Hour {
				_ = os.RemoveAll(filepath.Join(l.root, localUploads, de.Name()))
			}
			continue
		}
		if err != nil || u.Key != key {
			continue
		}
		ups = append(ups, Upload{Key: key, ID: de.Name(), Initiated: u.Created})
	}
	return ups, nil
}

func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", p, classify(err))
	}
	return nil
}
