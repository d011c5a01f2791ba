// Command lanes writes an execution trace of many short goroutines, at most 8
// alive at once, each blocking once: the Perfetto lane test checks that they
// share a few lanes of one group.
package main

import (
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := trace.Start(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := 0; i < 2000; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(20 * time.Microsecond)
			<-sem
		}()
	}
	wg.Wait()
	trace.Stop()
	f.Close()
}
