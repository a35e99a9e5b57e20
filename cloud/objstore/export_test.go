package objstore

// WithoutLean turns the direct request path off, so tests can hold it against the SDK's.
func WithoutLean(s *S3) *S3 { c := *s; c.lean = nil; return &c }

// HasLean reports whether s sends whole-object GETs and single PUTs directly.
func HasLean(s *S3) bool { return s.lean != nil }
