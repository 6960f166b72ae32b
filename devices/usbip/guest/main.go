// Command guest is the agent of the USB/IP end-to-end bench. It runs as the
// only program of a QEMU guest (started by /init, see devices/usbip/e2e),
// connects to the host test over the guest's only network path, and executes
// the test's requests one at a time: attach an emulated light through
// vhci_hcd, enumerate and open it with the real devices/hid transport and the
// real devices drivers, set colours, read buttons, run the daemon. It exits
// when the host sends "exit" or closes the connection.
//
// It is built as a static cgo binary (karalabe/hid compiles libusb in) and is
// useless outside such a guest.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/onair-dev/onair/devices/usbip/e2e"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "onair-agent: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var c net.Conn
	var err error
	// The NIC is up when /init starts us; the relay behind guestfwd may take
	// a moment to connect.
	for i := 0; i < 50; i++ {
		c, err = net.DialTimeout("tcp", e2e.GuestControlAddr, 2*time.Second)
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("connect to host: %w", err)
	}
	defer c.Close()
	a := newAgent()
	defer a.shutdown()
	r := bufio.NewReader(c)
	enc := json.NewEncoder(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return nil // host is done
		}
		var req e2e.Request
		if err := json.Unmarshal(line, &req); err != nil {
			enc.Encode(e2e.Response{Error: fmt.Sprintf("bad request %q: %v", line, err)})
			continue
		}
		if req.Op == e2e.OpExit {
			enc.Encode(e2e.Response{})
			return nil
		}
		if err := enc.Encode(a.do(req)); err != nil {
			return err
		}
	}
}

// do runs one request with a deadline, so that a call that hangs (the bug
// class the error-path scenarios look for) is reported instead of wedging the
// whole suite.
func (a *agent) do(req e2e.Request) e2e.Response {
	deadline := 10*time.Second + time.Duration(req.TimeoutMS)*time.Millisecond
	start := time.Now()
	ch := make(chan e2e.Response, 1)
	go func() { ch <- a.dispatch(req) }()
	select {
	case resp := <-ch:
		resp.ElapsedMS = time.Since(start).Milliseconds()
		return resp
	case <-time.After(deadline):
		return e2e.Response{Error: e2e.ErrHang, ElapsedMS: time.Since(start).Milliseconds()}
	}
}

func fail(err error) e2e.Response { return e2e.Response{Error: err.Error()} }

func (a *agent) dispatch(req e2e.Request) e2e.Response {
	switch req.Op {
	case e2e.OpAttach:
		port, err := attach(req.BusID)
		if err != nil {
			return fail(err)
		}
		return e2e.Response{Port: port}
	case e2e.OpDetach:
		if err := detach(req.Port); err != nil {
			return fail(err)
		}
		return e2e.Response{}
	case e2e.OpStart:
		if err := a.start(req.Args, req.Env); err != nil {
			return fail(err)
		}
		return e2e.Response{}
	case e2e.OpStop:
		exit, err := a.stop(time.Duration(req.TimeoutMS) * time.Millisecond)
		if err != nil {
			return fail(err)
		}
		return e2e.Response{Exit: exit}
	}
	return a.lights(req)
}
