package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/onair-dev/onair/daemon/config"
)

// The MQTT node ID names this daemon in topics and Home Assistant unique
// IDs, and the default client ID derives from it. It used to default to the
// bare host name, and two Raspberry Pis named raspberrypi then shared one
// client ID and knocked each other off the broker. The default is now the
// host name plus a short random suffix kept in the state directory
// (<state>/mqtt-node-id), next to the token cache.
//
// Why a random suffix kept on disk rather than one derived from the machine
// ID (/etc/machine-id, macOS's IOPlatformUUID, Windows' MachineGuid): it
// needs no code per OS, it does not read an identifier that other software
// treats as private, and a cloned SD card, which shares the machine ID
// unless first boot regenerates it, shares a suffix either way. The per-user
// and the system-wide service keep their own state directories and so get
// their own node IDs: they are two daemons, and must not share a client ID
// either. An explicit mqtt.node_id is used as given.

// nodeIDFile is the file in the state directory holding the node ID.
const nodeIDFile = "mqtt-node-id"

// hostNodeID is the old default: the host name up to the first dot.
func hostNodeID() string {
	h, _ := os.Hostname()
	h, _, _ = strings.Cut(h, ".")
	h = strings.ToLower(strings.TrimSpace(h))
	var b strings.Builder
	for _, r := range h {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "onair"
	}
	return b.String()
}

// defaultNodeID returns the node ID for a config without mqtt.node_id, and
// the node ID this daemon published under before, if it has to migrate
// from the bare host name (first run with a suffix). stateDir is where the
// node ID is kept; when it cannot be kept there the host name is used, as
// before, with a warning, rather than a new suffix on every start.
func defaultNodeID(stateDir string, log *slog.Logger) (id, former string) {
	host := hostNodeID()
	path := filepath.Join(stateDir, nodeIDFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, ""
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		log.Warn("cannot read the saved MQTT node ID; using the host name (set mqtt.node_id to choose one)", "path", path, "err", err)
		return host, ""
	}
	var suffix [2]byte
	rand.Read(suffix[:])
	id = host + "-" + hex.EncodeToString(suffix[:])
	err = os.MkdirAll(stateDir, 0o700)
	if err == nil {
		err = os.WriteFile(path, []byte(id+"\n"), 0o600)
	}
	if err != nil {
		log.Warn("cannot save the MQTT node ID; using the host name (set mqtt.node_id to choose one)", "path", path, "err", err)
		return host, ""
	}
	log.Info("MQTT node ID chosen; the topics of the bare host name are removed from the broker", "node_id", id, "former", host, "saved_in", path)
	return id, host
}

// nodeID returns the MQTT node ID and former node ID for set: mqtt.node_id
// when given, else the saved default (chosen once per daemon).
func (d *Daemon) nodeID(set *config.Settings) (id, former string) {
	if set.MQTT == nil || strings.TrimSpace(set.MQTT.NodeID) != "" {
		return set.MQTT.NodeID, ""
	}
	if !d.nodeIDDone {
		d.nodeIDDone = true
		dir := filepath.Dir(d.opts.Paths.TokenCache)
		if d.opts.Paths.TokenCache == "" {
			d.defNodeID = hostNodeID()
		} else {
			d.defNodeID, d.formerNodeID = defaultNodeID(dir, d.log)
		}
	}
	return d.defNodeID, d.formerNodeID
}
