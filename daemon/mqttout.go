package daemon

// addMQTT adds the MQTT publisher when mqtt.broker is set.
func (d *Daemon) addMQTT() error {
	if d.set.mqtt == nil {
		return nil
	}
	return nil
}
