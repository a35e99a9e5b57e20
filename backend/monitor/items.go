package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"transferhub/backend/tasks"
	"transferhub/cloud/deploy"
	"transferhub/cloud/state"
)

// Item is one row of a task's object or image table.
type Item struct {
	// Key is the object key, or the image's source reference.
	Key         string           `json:"key"`
	Destination string           `json:"destination,omitempty"` // images
	Size        int64            `json:"size"`                  // object size, or bytes sent for an image
	Status      state.ItemStatus `json:"status"`
	Attempts    int              `json:"attempts"`
	Error       string           `json:"error,omitempty"`
	ETag        string           `json:"etag,omitempty"` // source ETag, or image digest
	DestETag    string           `json:"destEtag,omitempty"`
	Checksum    string           `json:"checksum,omitempty"` // "CRC64NVME:<base64>" of a copied object's content
	Platforms   []string         `json:"platforms,omitempty"`
	RunID       string           `json:"runId,omitempty"`
	UpdatedAt   time.Time        `json:"updatedAt"`
}

// ItemsQuery asks for one page of a task's table.
type ItemsQuery struct {
	TaskID   string `json:"taskId"`
	Status   string `json:"status"` // "" = every status
	Prefix   string `json:"prefix"` // key (or source reference) prefix
	Page     int    `json:"page"`   // 1-based
	PageSize int    `json:"pageSize"`
}

// ItemsPage is one page, in key order; any page costs about the same at any depth (a
// keyset query, or one offset query for a jump). PagesCount is how many pages are known
// to exist (all of them once the end was reached, then OpenEnd is false).
type ItemsPage struct {
	Items      []Item `json:"items"`
	Page       int    `json:"page"`
	PageSize   int    `json:"pageSize"`
	PagesCount int    `json:"pagesCount"`
	OpenEnd    bool   `json:"openEnd"`
}

// Page sizes.
const (
	DefaultPageSize = 50
	MinPageSize     = 10
	MaxPageSize     = 1000
	// backPages: pages before a far page read along with it.
	backPages = 10
	// A running task's page index and counts are rebuilt when older than these.
	indexTTLRunning  = 10 * time.Second
	countsTTLRunning = 5 * time.Second
)

// Items returns one page of a task's objects (S3) or images.
func (m *Monitor) Items(ctx context.Context, q ItemsQuery) (ItemsPage, error) {
	size := q.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(max(size, MinPageSize), MaxPageSize)
	v, st, err := m.task(ctx, q.TaskID)
	if err != nil && v.Cloud != nil && !v.Cloud.Deployed && errors.Is(err, deploy.ErrNoTaskStack) {
		// A cloud task whose first deploy is under way (or failed) has no table yet: no
		// records, which is no error to show in its tables.
		return ItemsPage{Items: []Item{}, Page: 1, PageSize: size, PagesCount: 1}, nil
	}
	if err != nil {
		return ItemsPage{}, err
	}
	status, err := parseStatus(q.Status)
	if err != nil {
		return ItemsPage{}, err
	}
	list := lister(st, v.Type == state.TaskImage, q.TaskID)

	key := indexKey{task: q.TaskID, status: status, prefix: q.Prefix, size: size}
	m.mu.Lock()
	idx := m.indexes.get(key, v.Active, m.now())
	m.mu.Unlock()

	idx.mu.Lock()
	defer idx.mu.Unlock()
	page := max(q.Page, 1)
	if idx.pages > 0 {
		page = min(page, idx.pages)
	}
	// One query wherever the page is: from the nearest page whose start is known, skip
	// the pages in between (the store walks keys only for that).
	from, after := idx.nearest(page)
	var items []Item
	var next string
	if back := min(page-from-1, backPages); back > 0 {
		// A far page comes with the few pages just before it in the same query (their
		// rows are nothing next to the keys the offset skips), so paging back from a
		// jump (to the end, say) is a keyset query each time, not another long skip.
		// The first row read is the last of the page before those: where they start.
		all, n, err := list(ctx, state.ListOptions{Status: status, Prefix: q.Prefix, After: after,
			Offset: (page-back-from)*size - 1, Limit: (back+1)*size + 1})
		if err != nil {
			return ItemsPage{}, err
		}
		for j := 0; j <= back && j*size < len(all); j++ {
			idx.starts[page-back+j] = all[j*size].Key
		}
		if len(all) > back*size+1 {
			items, next = all[back*size+1:], n
		}
	} else {
		var err error
		items, next, err = list(ctx, state.ListOptions{Status: status, Prefix: q.Prefix, After: after,
			Offset: (page - from) * size, Limit: size})
		if err != nil {
			return ItemsPage{}, err
		}
	}
	if len(items) == 0 && page > from {
		// Past the end (the table shrank, or the asked page was a guess): the last page
		// is the last one reached from the nearest known start.
		var err error
		from, after = idx.nearest(page) // a far read may have learnt nearer starts
		if page, items, next, err = idx.lastFrom(ctx, list, from, after, status, q.Prefix, size); err != nil {
			return ItemsPage{}, err
		}
	}
	if next != "" {
		idx.starts[page+1] = next
	} else {
		idx.pages = page
		for p := range idx.starts {
			if p > page {
				delete(idx.starts, p)
			}
		}
	}
	if items == nil {
		items = []Item{}
	}
	return ItemsPage{Items: items, Page: page, PageSize: size, PagesCount: idx.count(), OpenEnd: idx.pages == 0}, nil
}

func parseStatus(s string) (state.ItemStatus, error) {
	st := state.ItemStatus(strings.ToUpper(strings.TrimSpace(s)))
	switch st {
	case "", state.ItemPending, state.ItemInProgress, state.ItemDone, state.ItemSkipped, state.ItemFailed:
		return st, nil
	}
	return "", fmt.Errorf("%q is not a status; use PENDING, IN_PROGRESS, DONE, SKIPPED or FAILED", s)
}

// listFunc lists one page of items and the cursor to the next.
type listFunc func(ctx context.Context, opt state.ListOptions) (items []Item, next string, err error)

func lister(st state.Store, images bool, taskID string) listFunc {
	if images {
		return listOf(st.ListImages, taskID, "images", imageItem)
	}
	return listOf(st.ListObjects, taskID, "objects", objectItem)
}

// listOf lists the records of one table as Items; what names them in an error.
func listOf[T any](list func(context.Context, string, state.ListOptions) (state.Page[T], error), taskID, what string, item func(T) Item) listFunc {
	return func(ctx context.Context, opt state.ListOptions) ([]Item, string, error) {
		p, err := list(ctx, taskID, opt)
		if err != nil {
			return nil, "", fmt.Errorf("list %s: %w", what, err)
		}
		out := make([]Item, len(p.Items))
		for i, r := range p.Items {
			out[i] = item(r)
		}
		return out, p.Next, nil
	}
}

// task returns a task's view and its store.
func (m *Monitor) task(ctx context.Context, id string) (tasks.View, state.Store, error) {
	v, err := m.tasks.Get(ctx, id)
	if err != nil {
		return v, nil, err
	}
	st, err := m.tasks.Store(id)
	return v, st, err
}

func objectItem(o state.Object) Item {
	return Item{Key: o.Key, Size: o.Size, Status: o.Status, Attempts: o.Attempts, Error: o.Error, ETag: o.ETag,
		DestETag: o.DestETag, Checksum: o.Checksum, RunID: o.RunID, UpdatedAt: o.UpdatedAt}
}

func imageItem(im state.Image) Item {
	return Item{Key: im.Source, Destination: im.Destination, Size: im.Bytes, Status: im.Status, Attempts: im.Attempts,
		Error: im.Error, ETag: im.Digest, Platforms: im.Platforms, RunID: im.RunID, UpdatedAt: im.UpdatedAt}
}

// --- page index ----------------------------------------------------------------------------

type indexKey struct {
	task   string
	status state.ItemStatus
	prefix string
	size   int
}

// pageIndex remembers where pages start (the key after which each begins), so a page
// next to a known one is a plain keyset query and a far one a single offset query.
type pageIndex struct {
	mu     sync.Mutex
	starts map[int]string // page → the key after which it starts; page 1 starts at ""
	pages  int            // the number of pages, once the end was seen; 0 before
	built  time.Time
}

func newPageIndex(now time.Time) *pageIndex {
	return &pageIndex{starts: map[int]string{1: ""}, built: now}
}

// nearest returns the known page at or before page, and its start.
func (x *pageIndex) nearest(page int) (int, string) {
	best := 1
	for p := range x.starts {
		if p <= page && p > best {
			best = p
		}
	}
	return best, x.starts[best]
}

// count is the number of pages known to exist.
func (x *pageIndex) count() int {
	if x.pages > 0 {
		return x.pages
	}
	n := 1
	for p := range x.starts {
		n = max(n, p)
	}
	return n
}

// lastFrom walks forward from page `from` (starting after `after`) to the last page and
// returns it with its items.
func (x *pageIndex) lastFrom(ctx context.Context, list listFunc, from int, after string, status state.ItemStatus, prefix string, size int) (int, []Item, string, error) {
	page := from
	for {
		items, next, err := list(ctx, state.ListOptions{Status: status, Prefix: prefix, After: after, Limit: size})
		if err != nil {
			return 0, nil, "", err
		}
		if next == "" {
			return page, items, "", nil
		}
		x.starts[page+1] = next
		page, after = page+1, next
		if err := ctx.Err(); err != nil {
			return 0, nil, "", err
		}
	}
}

// indexCache keeps the most recently used page indexes.
type indexCache struct {
	max   int
	m     map[indexKey]*pageIndex
	order []indexKey // least recently used first
}

func newIndexCache(n int) *indexCache { return &indexCache{max: n, m: map[indexKey]*pageIndex{}} }

// get returns the index for k (m.mu held); a running task's index is rebuilt when old,
// since records keep arriving between its cursors.
func (c *indexCache) get(k indexKey, active bool, now time.Time) *pageIndex {
	x, ok := c.m[k]
	if ok && active && now.Sub(x.built) > indexTTLRunning {
		ok = false
	}
	if !ok {
		x = newPageIndex(now)
		c.m[k] = x
	}
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, k)
	for len(c.order) > c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	return x
}

// drop forgets a task's indexes (m.mu held).
func (c *indexCache) drop(task string) {
	kept := c.order[:0]
	for _, k := range c.order {
		if k.task == task {
			delete(c.m, k)
			continue
		}
		kept = append(kept, k)
	}
	c.order = kept
}

// --- counts ----------------------------------------------------------------------------------

// Counts is how many records a task's table holds, per status.
type Counts struct {
	Total    int64                      `json:"total"`
	ByStatus map[state.ItemStatus]int64 `json:"byStatus"`
}

type countsEntry struct {
	at     time.Time
	counts Counts
}

// Counts counts a task's records per status (cached; a running task's counts are
// refreshed every few seconds). Counting a large table takes a while, so pages never
// wait for it: the UI asks for both at once.
func (m *Monitor) Counts(ctx context.Context, id string) (Counts, error) {
	m.mu.Lock()
	e, ok := m.counts[id]
	m.mu.Unlock()
	if ok {
		return e.counts, nil
	}
	v, err := m.tasks.Get(ctx, id)
	if err != nil {
		return Counts{}, err
	}
	c := Counts{ByStatus: map[state.ItemStatus]int64{}}
	if v.Engine == state.EngineCloud {
		// A cloud task's table may hold millions of records and every read is billed:
		// its counters tell the counts (what is not settled yet is PENDING). They are
		// the view's, from the same read of the record as the page's progress figures,
		// and cost no call: nothing kept (kept, they lagged the progress by up to 5 s).
		k := v.Counters
		c.ByStatus[state.ItemDone], c.ByStatus[state.ItemSkipped], c.ByStatus[state.ItemFailed] = k.DoneObjects, k.SkippedObjects, k.FailedObjects
		c.ByStatus[state.ItemPending] = max(0, k.FoundObjects-k.Settled())
		c.Total = max(k.FoundObjects, k.Settled())
		return c, nil
	}
	st, err := m.tasks.Store(id)
	if err != nil {
		return Counts{}, err
	}
	if v.Type == state.TaskImage {
		after := ""
		for {
			p, err := st.ListImages(ctx, id, state.ListOptions{After: after, Limit: 1000})
			if err != nil {
				return Counts{}, fmt.Errorf("count images: %w", err)
			}
			for _, im := range p.Items {
				c.ByStatus[im.Status]++
			}
			if p.Next == "" {
				break
			}
			after = p.Next
		}
	} else {
		by, err := st.CountObjects(ctx, id)
		if err != nil {
			return Counts{}, fmt.Errorf("count objects: %w", err)
		}
		c.ByStatus = by
	}
	for _, n := range c.ByStatus {
		c.Total += n
	}
	m.mu.Lock()
	m.counts[id] = countsEntry{at: m.now(), counts: c}
	m.mu.Unlock()
	return c, nil
}
