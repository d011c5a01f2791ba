// Command goserver serves net/http/pprof on a loopback port (printed on its
// first line of output) while doing a little work, for live-capture tests.
package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	go func() {
		var mu sync.Mutex
		for {
			var wg sync.WaitGroup
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					mu.Lock()
					time.Sleep(time.Millisecond)
					mu.Unlock()
				}()
			}
			wg.Wait()
		}
	}()
	// Exit on our own after a while, so that a failed test never leaves it behind.
	go func() {
		time.Sleep(2 * time.Minute)
		os.Exit(0)
	}()
	http.Serve(ln, nil)
}
