//go:build !linux && (!darwin || cgo)

package serial

import "go.bug.st/serial/enumerator"

// detailedPorts lists serial ports with USB details, actively probing only
// ports for which probe returns true.
func detailedPorts(probe func(vid, pid string) bool) ([]port, error) {
	list, err := enumerator.GetDetailedPortsList(probe)
	if err != nil {
		return nil, err
	}
	ports := make([]port, 0, len(list))
	for _, p := range list {
		ports = append(ports, port{
			Name: p.Name, IsUSB: p.IsUSB, VID: p.VID, PID: p.PID,
			Serial: p.SerialNumber, Product: p.Product, Manufacturer: p.Manufacturer,
		})
	}
	return ports, nil
}
