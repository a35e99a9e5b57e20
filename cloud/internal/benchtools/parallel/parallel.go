// Package parallel runs the benchmarks' numbered requests a given number at a time.
package parallel

import (
	"sync"
	"sync/atomic"
)

// For calls fn(0) ... fn(n-1) from conc goroutines and returns the first error; a
// goroutine whose call fails stops taking more.
func For(n, conc int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
