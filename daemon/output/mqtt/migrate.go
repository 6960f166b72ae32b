package mqtt

import (
	"log/slog"
	"slices"
)

// formerTopics lists every retained topic a daemon with node ID
// Options.FormerNodeID and these users published: the daemon's own
// discovery and state topics, each user's discovery and state topics (as
// SetUsers removes a user), and the availability topic. Sign topics are
// configured by the user, not derived from the node ID, and stay.
func (p *Publisher) formerTopics(users []string) []string {
	fo := p.opts
	fo.NodeID, fo.FormerNodeID, fo.ClientID = p.opts.FormerNodeID, "", ""
	fo.Signs, fo.OnCommand, fo.Logger = nil, nil, slog.New(slog.DiscardHandler)
	f, err := New(fo)
	if err != nil || f.t.node == p.t.node {
		return nil
	}
	var topics []string
	for t := range f.retained {
		topics = append(topics, t)
	}
	for _, u := range users {
		slug := Slug(u)
		for _, m := range f.userDiscovery(slug, u) {
			topics = append(topics, m.topic)
		}
		for _, m := range f.t.userMessages(slug, UserState{}, true) {
			topics = append(topics, m.topic)
		}
	}
	topics = append(topics, f.t.status())
	slices.Sort(topics)
	return slices.Compact(topics)
}

// migrateLocked queues the removal of the former node's topics, once, at
// the first SetUsers (when the users are known).
func (p *Publisher) migrateLocked(users []string) {
	if p.opts.FormerNodeID == "" || p.migrated {
		return
	}
	p.migrated = true
	topics := p.formerTopics(users)
	for _, t := range topics {
		if _, ours := p.retained[t]; !ours {
			p.clearLocked(t)
		}
	}
	if len(topics) > 0 {
		p.log.Info("mqtt: removing the topics of the former node ID", "former_node_id", p.opts.FormerNodeID, "node_id", p.opts.NodeID, "topics", len(topics))
	}
}
