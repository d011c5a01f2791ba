package main

// The service workload (-workload service): a busy HTTP service on loopback.

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	clients = 48 // concurrent keep-alive clients
	cached  = 2048
)

var routes = []string{"users", "orders", "search", "items", "cart"}

// Responses retained across requests: a live heap for the GC to mark while
// the handlers allocate (about 2048 x 10 KB).
var cache [cached]atomic.Pointer[[]byte]

type backendResult struct {
	Shard int    `json:"shard"`
	Rows  int    `json:"rows"`
	Sum   string `json:"sum"`
}

func handle(w http.ResponseWriter, r *http.Request) {
	route := r.PathValue("route")
	ctx, task := trace.NewTask(r.Context(), "http "+route)
	defer task.End()
	id, _ := strconv.Atoi(r.URL.Query().Get("id"))
	trace.Log(ctx, "request", r.URL.RequestURI())

	trace.WithRegion(ctx, "auth", func() {
		tok := sha256.Sum256([]byte(r.Header.Get("Authorization") + route))
		if tok[0] == 0 {
			trace.Log(ctx, "auth", "zero token")
		}
	})

	var body []byte
	trace.WithRegion(ctx, "handle", func() {
		// Fan out to short-lived goroutines, as a service calls its backends.
		n := 2 + id%5
		results := make([]backendResult, n)
		trace.WithRegion(ctx, "fanout", func() {
			var wg sync.WaitGroup
			for k := 0; k < n; k++ {
				wg.Add(1)
				go func(k int) {
					defer wg.Done()
					trace.WithRegion(ctx, "backend", func() {
						rows := make([]byte, 1024+rand.IntN(4096))
						for i := range rows {
							rows[i] = byte(i * k)
						}
						if rand.IntN(16) == 0 {
							time.Sleep(20 * time.Microsecond)
						}
						s := sha256.Sum256(rows)
						results[k] = backendResult{Shard: k, Rows: len(rows), Sum: fmt.Sprintf("%x", s[:8])}
					})
				}(k)
			}
			wg.Wait()
		})
		trace.WithRegion(ctx, "render", func() {
			page := make([]backendResult, 0, 16*n)
			for i := 0; i < 16; i++ {
				page = append(page, results...)
			}
			body, _ = json.Marshal(map[string]any{"route": route, "id": id, "results": page})
		})
	})
	if id%10 == 0 {
		trace.Log(ctx, "cache", "store")
	}
	cache[id%cached].Store(&body)
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// runService serves and loads the service until the trace written to cw
// reaches size bytes.
func runService(cw *countingWriter, size int64) {
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer pprof.StopCPUProfile()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/{route}", handle)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	base := "http://" + ln.Addr().String() + "/api/"
	var stop atomic.Bool
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				req, _ := http.NewRequest("GET", base+routes[(c+i)%len(routes)]+"?id="+strconv.Itoa(c*1_000_000+i), nil)
				req.Header.Set("Authorization", "Bearer client-"+strconv.Itoa(c))
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}(c)
	}
	for cw.n.Load() < size {
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	srv.Close()
}
