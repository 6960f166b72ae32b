package main

import (
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/usbip/e2e"
)

// light is one opened device.
type light struct {
	info devices.Info
	dev  *devices.Device
}

// matches reports whether info is the interface req asks for.
func matches(info devices.Info, req e2e.Request) bool {
	if req.VID != 0 && (info.VID != req.VID || info.PID != req.PID) {
		return false
	}
	if req.Product != "" && info.Product != req.Product {
		return false
	}
	return req.Interface == nil || info.Interface == *req.Interface
}

func toDeviceInfo(i devices.Info) e2e.DeviceInfo {
	return e2e.DeviceInfo{VID: i.VID, PID: i.PID, Release: i.Release, Interface: i.Interface,
		Product: i.Product, Manufacturer: i.Manufacturer, Serial: i.Serial, Path: i.Path}
}

func find(req e2e.Request) ([]devices.Info, error) {
	all, err := enumerateHID()
	if err != nil {
		return nil, err
	}
	var out []devices.Info
	for _, i := range all {
		if matches(i, req) {
			out = append(out, i)
		}
	}
	return out, nil
}

func (a *agent) light(h int) (*light, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	l, ok := a.handles[h]
	if !ok {
		return nil, fmt.Errorf("no open light %d", h)
	}
	return l, nil
}

func state(req e2e.Request) (devices.State, error) {
	e := devices.Solid
	if req.Effect != "" {
		var err error
		if e, err = devices.ParseEffect(req.Effect); err != nil {
			return devices.State{}, err
		}
	}
	return devices.State{
		Color:  color.NRGBA{R: req.Color[0], G: req.Color[1], B: req.Color[2], A: 0xff},
		Effect: e,
		Period: time.Duration(req.PeriodMS) * time.Millisecond,
	}, nil
}

// lights runs the requests that go through devices and devices/hid.
func (a *agent) lights(req e2e.Request) e2e.Response {
	switch req.Op {
	case e2e.OpEnumerate:
		infos, err := find(req)
		if err != nil {
			return fail(err)
		}
		var resp e2e.Response
		for _, i := range infos {
			resp.Devices = append(resp.Devices, toDeviceInfo(i))
		}
		return resp

	case e2e.OpWait:
		deadline := time.Now().Add(time.Duration(req.TimeoutMS) * time.Millisecond)
		for {
			infos, err := find(req)
			if err == nil && (len(infos) > 0) == req.Present {
				var resp e2e.Response
				for _, i := range infos {
					resp.Devices = append(resp.Devices, toDeviceInfo(i))
				}
				return resp
			}
			if time.Now().After(deadline) {
				if err == nil {
					err = fmt.Errorf("%04X:%04X present=%v not reached in %d ms", req.VID, req.PID, req.Present, req.TimeoutMS)
				}
				return fail(err)
			}
			time.Sleep(50 * time.Millisecond)
		}

	case e2e.OpOpen:
		infos, err := find(req)
		if err != nil {
			return fail(err)
		}
		if len(infos) == 0 {
			return fail(fmt.Errorf("open: no HID interface %04X:%04X %q", req.VID, req.PID, req.Product))
		}
		info := infos[0]
		t, err := openHID(info)
		if err != nil {
			return fail(err)
		}
		d, err := devices.Open(info, t, nil)
		if err != nil {
			return fail(err)
		}
		a.mu.Lock()
		a.next++
		h := a.next
		a.handles[h] = &light{info: info, dev: d}
		a.mu.Unlock()
		return e2e.Response{Handle: h, Devices: []e2e.DeviceInfo{toDeviceInfo(info)}}
	}

	l, err := a.light(req.Handle)
	if err != nil {
		return fail(err)
	}
	switch req.Op {
	case e2e.OpSet:
		s, err := state(req)
		if err == nil {
			err = l.dev.Set(s)
		}
		return errResp(err)
	case e2e.OpFrame:
		return errResp(l.dev.Frame(color.NRGBA{R: req.Color[0], G: req.Color[1], B: req.Color[2], A: 0xff}))
	case e2e.OpKeepAlive:
		return errResp(l.dev.KeepAlive())
	case e2e.OpRead:
		in, err := l.dev.ReadInput(time.Duration(req.TimeoutMS) * time.Millisecond)
		if err != nil {
			return fail(err)
		}
		return e2e.Response{Button: in.Button.String()}
	case e2e.OpClose:
		a.mu.Lock()
		delete(a.handles, req.Handle)
		a.mu.Unlock()
		return errResp(l.dev.Close())
	}
	return fail(errors.New("unknown op " + strings.TrimSpace(req.Op)))
}

func errResp(err error) e2e.Response {
	if err != nil {
		return fail(err)
	}
	return e2e.Response{}
}
