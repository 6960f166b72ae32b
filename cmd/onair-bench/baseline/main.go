// Command baseline is the yardstick of `onair-bench idle`: the least a
// presence poller can do. It GETs Graph's /me/presence over TLS every
// interval with a bearer token and prints "availability/activity" when it
// changes, as the terminal light does. Standard library only, so that its
// CPU, wake-ups and memory are those of the Go runtime, net/http and TLS,
// and nothing else.
//
// Usage: ONAIR_BASELINE_TOKEN=… baseline -url https://…/v1.0/me/presence [-interval 10s]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	url := flag.String("url", "", "presence `URL` to GET, e.g. https://graph.microsoft.com/v1.0/me/presence")
	interval := flag.Duration("interval", 10*time.Second, "time between requests")
	flag.Parse()
	token := os.Getenv("ONAIR_BASELINE_TOKEN")
	if *url == "" || token == "" {
		fmt.Fprintln(os.Stderr, "baseline: set -url and the ONAIR_BASELINE_TOKEN environment variable")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	last := ""
	poll := func() {
		req, err := http.NewRequest(http.MethodGet, *url, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(2)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			return
		}
		var p struct{ Availability, Activity string }
		err = json.NewDecoder(resp.Body).Decode(&p)
		_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			fmt.Fprintln(os.Stderr, "baseline:", resp.Status, err)
			return
		}
		if s := p.Availability + "/" + p.Activity; s != last {
			last = s
			fmt.Println(time.Now().Format(time.TimeOnly), s)
		}
	}
	poll()
	for range time.Tick(*interval) {
		poll()
	}
}
