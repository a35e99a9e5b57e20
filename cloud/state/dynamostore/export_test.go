package dynamostore

// DecodeSkipped makes ListObjects read every record an offset skips, as it did before
// it skipped whole job items by their stored counts: the reference the tests compare
// with.
func DecodeSkipped(s *Store) { s.decodeSkipped = true }
