// Command gen writes a large, busy Go execution trace for benchmarks: it runs
// a workload until the trace reaches -size bytes.
//
//	-workload mixed    channels, mutexes, select, sleeps, loopback network I/O,
//	                   allocation, tasks/regions/logs (the default)
//	-workload service  a busy HTTP service: a server on loopback and many
//	                   concurrent keep-alive clients; each request is a task
//	                   with nested regions and logs, fans out to short-lived
//	                   goroutines, allocates enough for GC pressure; CPU
//	                   profiling is on, so the trace has CPU samples
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

var sink atomic.Value

func main() {
	out := flag.String("o", "big.trace", "output file")
	size := flag.Int64("size", 100<<20, "stop when the trace reaches this many bytes")
	workload := flag.String("workload", "mixed", "mixed or service")
	flag.Parse()
	if *workload != "mixed" && *workload != "service" {
		fmt.Fprintf(os.Stderr, "gen: unknown -workload %q (mixed or service)\n", *workload)
		os.Exit(2)
	}

	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cw := &countingWriter{w: f}
	if err := trace.Start(cw); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *workload == "service" {
		runService(cw, *size)
		trace.Stop()
		f.Close()
		fmt.Printf("wrote %s: %d bytes\n", *out, cw.n.Load())
		return
	}
	var stop atomic.Bool
	var wg sync.WaitGroup

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()

	var mu sync.Mutex
	shared := 0
	ch := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx, task := trace.NewTask(context.Background(), fmt.Sprintf("worker-%d", w%4))
			defer task.End()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				return
			}
			defer conn.Close()
			buf := make([]byte, 64)
			for i := 0; !stop.Load(); i++ {
				switch i % 5 {
				case 0:
					trace.WithRegion(ctx, "lock", func() {
						mu.Lock()
						shared++
						mu.Unlock()
					})
				case 1:
					select {
					case ch <- i:
					case v := <-ch:
						_ = v
					case <-time.After(50 * time.Microsecond):
					}
				case 2:
					trace.WithRegion(ctx, "net", func() {
						conn.Write(buf)
						io.ReadFull(conn, buf)
					})
				case 3:
					sink.Store(make([]byte, 4096))
					if i%100 == 3 {
						trace.Log(ctx, "progress", fmt.Sprint(i))
					}
				case 4:
					if i%50 == 4 {
						time.Sleep(10 * time.Microsecond)
					}
					var inner sync.WaitGroup
					for k := 0; k < 4; k++ {
						inner.Add(1)
						go func() { defer inner.Done(); sink.Store(make([]byte, 128)) }()
					}
					inner.Wait()
				}
			}
		}(w)
	}
	for cw.n.Load() < *size {
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	trace.Stop()
	ln.Close()
	f.Close()
	fmt.Printf("wrote %s: %d bytes\n", *out, cw.n.Load())
}
