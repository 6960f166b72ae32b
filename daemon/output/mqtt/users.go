package mqtt

// SetUsers declares the watched users again after a config reload, without
// a reconnect: removed users lose their discovery and retained topics,
// added ones get theirs (see Publisher.SetUsers). Safe at any time, before
// or during Run.
func (o *Output) SetUsers(users []string) {
	o.mu.Lock()
	o.users = append([]string(nil), users...)
	o.mu.Unlock()
	o.p.SetUsers(users)
}
