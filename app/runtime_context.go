package app

import (
	"context"
	"sync"
)

// runtimeContext is the context Wails hands a service when it starts: the runtime's
// events and dialogs need it, and the UI's calls run under it (Background before the
// start). Services embed it.
type runtimeContext struct {
	ctxMu sync.Mutex
	ctx   context.Context
}

func (r *runtimeContext) context() context.Context {
	r.ctxMu.Lock()
	defer r.ctxMu.Unlock()
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

func (r *runtimeContext) setContext(ctx context.Context) {
	r.ctxMu.Lock()
	defer r.ctxMu.Unlock()
	r.ctx = ctx
}
