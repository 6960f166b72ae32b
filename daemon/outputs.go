package daemon

// addConfiguredOutputs adds the outputs the config asks for: USB lights
// (unless Options.NoLights) and MQTT (when mqtt.broker is set).
func (d *Daemon) addConfiguredOutputs() error {
	if !d.opts.NoLights {
		if err := d.addLights(); err != nil {
			return err
		}
	}
	return d.addMQTT()
}
