package tasks

import (
	"context"
	"log/slog"

	"transferhub/cloud/image"
	"transferhub/cloud/objstore"
	"transferhub/cloud/s3sync"
	"transferhub/cloud/spec"
)

// engines opens the engines of a definition with this app's credentials: what a dry run
// (Manager.Plan) and the local runner share.
type engines struct {
	creds   Credentials
	log     *slog.Logger
	defConc func() int // the user's concurrency setting, for S3 tasks that set none
}

func newEngines(creds Credentials, defConc func() int, log *slog.Logger) engines {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if defConc == nil {
		defConc = func() int { return 16 }
	}
	return engines{creds: creds, log: log, defConc: defConc}
}

func (m *engines) profileLookup() ProfileLookup {
	if m.creds == nil {
		return nil
	}
	return m.creds.Get
}

// openS3 resolves credentials and opens both ends of an S3 task.
func (m *engines) openS3(ctx context.Context, s S3Spec, conc int, th *s3sync.Throttle) (src, dst objstore.Location, err error) {
	t := spec.Tuning{Concurrency: conc}
	if th != nil {
		t.OnThrottle = th.Signal
	}
	return s.Spec().OpenBoth(ctx, t, profileAccess{m: m, src: s.Source.ProfileID, dst: s.Destination.ProfileID})
}

// s3Options maps the definition onto the engine's options (validated before).
func s3Options(s S3Spec, conc int, logger *slog.Logger) (s3sync.Options, error) {
	o, err := s.Spec().EngineOptions(logger)
	o.Concurrency = conc
	return o, err
}

func (m *engines) concurrency(n int) int {
	if n > 0 {
		return n
	}
	return max(MinConcurrency, min(m.defConc(), MaxConcurrency))
}

func (m *engines) imageEngine(ctx context.Context, s ImageSpec, logger *slog.Logger) (*image.Engine, image.Spec, error) {
	set, err := m.imageConfig(ctx, s)
	if err != nil {
		return nil, image.Spec{}, err
	}
	set.cfg.Log = logger
	eng, err := image.New(ctx, set.cfg)
	if err != nil {
		return nil, image.Spec{}, err
	}
	spec, err := imageSpec(set, eng)
	if err != nil {
		return nil, spec, err
	}
	return eng, spec, nil
}

func (m *engines) imageConcurrency(n int) int {
	if n > 0 {
		return n
	}
	return image.DefaultImageConcurrency
}
