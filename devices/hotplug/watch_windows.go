package hotplug

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"unsafe"
)

// Device arrival and removal on Windows come from CM_Register_Notification
// (cfgmgr32.dll, Windows 8 and later; Microsoft Learn, "CM_Register_
// Notification function (cfgmgr32.h)"), one registration per device
// interface class. The callback runs on a system thread pool thread.

var (
	cfgmgr32                    = syscall.NewLazyDLL("cfgmgr32.dll")
	procCMRegisterNotification  = cfgmgr32.NewProc("CM_Register_Notification")
	procCMUnregisterNotifcation = cfgmgr32.NewProc("CM_Unregister_Notification")
)

// Device interface class GUIDs (hidclass.h, usbiodef.h, ntddser.h).
var classes = []struct {
	subsystem string
	guid      syscall.GUID
}{
	// GUID_DEVINTERFACE_HID {4D1E55B2-F16F-11CF-88CB-001111000030}
	{"hid", syscall.GUID{Data1: 0x4D1E55B2, Data2: 0xF16F, Data3: 0x11CF, Data4: [8]byte{0x88, 0xCB, 0x00, 0x11, 0x11, 0x00, 0x00, 0x30}}},
	// GUID_DEVINTERFACE_USB_DEVICE {A5DCBF10-6530-11D2-901F-00C04FB951ED}
	{"usb", syscall.GUID{Data1: 0xA5DCBF10, Data2: 0x6530, Data3: 0x11D2, Data4: [8]byte{0x90, 0x1F, 0x00, 0xC0, 0x4F, 0xB9, 0x51, 0xED}}},
	// GUID_DEVINTERFACE_COMPORT {86E0D1E0-8089-11D0-9CE4-08003E301F73}:
	// the COM port of a CDC serial light appears after its USB device.
	{"ports", syscall.GUID{Data1: 0x86E0D1E0, Data2: 0x8089, Data3: 0x11D0, Data4: [8]byte{0x9C, 0xE4, 0x08, 0x00, 0x3E, 0x30, 0x1F, 0x73}}},
}

const (
	cmNotifyFilterTypeDeviceInterface = 0 // CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE
	cmNotifyActionArrival             = 0 // CM_NOTIFY_ACTION_DEVICEINTERFACEARRIVAL
	cmNotifyActionRemoval             = 1 // CM_NOTIFY_ACTION_DEVICEINTERFACEREMOVAL
	crSuccess                         = 0 // CR_SUCCESS
	maxDeviceIDLen                    = 200
)

// cmNotifyFilter is CM_NOTIFY_FILTER: four DWORDs, then a union whose
// largest member is WCHAR InstanceId[MAX_DEVICE_ID_LEN]; the HANDLE member
// aligns it to 8. cbSize must be the full 416 bytes.
type cmNotifyFilter struct {
	cbSize     uint32
	flags      uint32
	filterType uint32
	reserved   uint32
	classGUID  syscall.GUID
	_          [maxDeviceIDLen*2 - 16]byte
}

// callbackPtr is the one callback for every registration: the Go runtime
// allows a bounded number of callbacks per process, none ever freed, so
// watchers are told apart by the context pointer (an index into sinks).
var (
	callbackOnce sync.Once
	callbackPtr  uintptr
	sinksMu      sync.Mutex
	sinks        = map[uintptr]*winSink{}
	nextSink     uintptr
)

type winSink struct {
	subsystem string
	ch        chan Event
	lost      bool
	mu        sync.Mutex
	closed    bool
}

// notify is the CM_NOTIFY_CALLBACK: (HCMNOTIFICATION, PVOID context,
// CM_NOTIFY_ACTION, PCM_NOTIFY_EVENT_DATA, DWORD size) → DWORD. It never
// blocks the thread pool: a full channel becomes an Overflow event.
func notify(_, context, action uintptr, data *byte, size uintptr) uintptr {
	sinksMu.Lock()
	s := sinks[context]
	sinksMu.Unlock()
	if s == nil {
		return crSuccess
	}
	var a Action
	switch action {
	case cmNotifyActionArrival:
		a = Add
	case cmNotifyActionRemoval:
		a = Remove
	default:
		return crSuccess
	}
	e := Event{Action: a, Subsystem: s.subsystem}
	// CM_NOTIFY_EVENT_DATA: FilterType, Reserved (DWORDs), then for device
	// interfaces a GUID and the NUL-terminated symbolic link.
	const linkOffset = 4 + 4 + 16
	if data != nil && size > linkOffset {
		n := (size - linkOffset) / 2
		link := unsafe.Slice((*uint16)(unsafe.Add(unsafe.Pointer(data), linkOffset)), n)
		e.Path = syscall.UTF16ToString(link)
		e.VID, e.PID, e.HasID = linkID(e.Path)
	}
	s.send(e)
	return crSuccess
}

func (s *winSink) send(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.lost {
		e = Event{Action: Overflow}
	}
	select {
	case s.ch <- e:
		s.lost = false
	default:
		s.lost = true
	}
}

func watch(ctx context.Context) (<-chan Event, error) {
	if err := procCMRegisterNotification.Find(); err != nil {
		return nil, fmt.Errorf("%w: cfgmgr32.dll has no CM_Register_Notification (Windows 8 or later needed): %v", ErrUnsupported, err)
	}
	callbackOnce.Do(func() { callbackPtr = syscall.NewCallback(notify) })
	ch := make(chan Event, chanSize)
	var handles []uintptr
	var keys []uintptr
	var sinkList []*winSink
	cleanup := func() {
		for _, h := range handles {
			// CM_Unregister_Notification waits for callbacks in progress.
			procCMUnregisterNotifcation.Call(h)
		}
		sinksMu.Lock()
		for _, k := range keys {
			delete(sinks, k)
		}
		sinksMu.Unlock()
		for _, s := range sinkList {
			s.mu.Lock()
			s.closed = true
			s.mu.Unlock()
		}
	}
	for _, c := range classes {
		s := &winSink{subsystem: c.subsystem, ch: ch}
		sinksMu.Lock()
		nextSink++
		key := nextSink
		sinks[key] = s
		sinksMu.Unlock()
		keys = append(keys, key)
		sinkList = append(sinkList, s)
		filter := cmNotifyFilter{filterType: cmNotifyFilterTypeDeviceInterface, classGUID: c.guid}
		filter.cbSize = uint32(unsafe.Sizeof(filter))
		var h uintptr
		r, _, _ := procCMRegisterNotification.Call(uintptr(unsafe.Pointer(&filter)), key, callbackPtr, uintptr(unsafe.Pointer(&h)))
		if r != crSuccess {
			cleanup()
			return nil, fmt.Errorf("%w: CM_Register_Notification(%s) failed with CONFIGRET %#x", ErrUnsupported, c.subsystem, r)
		}
		handles = append(handles, h)
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		defer cleanup()
		for {
			select {
			case e := <-ch:
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
