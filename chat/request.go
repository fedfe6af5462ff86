package chat

import "strconv"

// Outbox collects the actions a piece of handler code asks for: a chat
// route, a timer tick, an event hook or an HTTP route. Whoever ran the code
// pushes the actions onto the outbound list once it returned without
// error, and the master performs them. The zero Outbox is ready to use; it
// is not safe for concurrent use.
type Outbox struct {
	actions []Action
}

// Send says lines to a room or a user.
func (o *Outbox) Send(target string, lines ...string) {
	o.Do(Action{Kind: Send, Target: target, Lines: lines})
}

// SetTopic sets a room's topic.
func (o *Outbox) SetTopic(room, topic string) {
	o.Do(Action{Kind: Topic, Target: room, Text: topic})
}

// Join asks the bot to join a room.
func (o *Outbox) Join(room string) { o.Do(Action{Kind: Join, Target: room}) }

// Part asks the bot to leave a room.
func (o *Outbox) Part(room string) { o.Do(Action{Kind: Part, Target: room}) }

// Do queues any action; whoever pushes it sets its ID.
func (o *Outbox) Do(a Action) { o.actions = append(o.actions, a) }

// Actions returns the actions asked for so far.
func (o *Outbox) Actions() []Action { return o.actions }

// Request is one message matched by one route, and the actions its
// handler asks for. A handler must not keep it after returning.
type Request struct {
	// Message is what was said.
	Message Message
	// Match holds the whole match and the pattern's groups.
	Match []string
	// Route is the name of the route that matched.
	Route string

	// Outbox gives the handler Send, SetTopic, Join, Part and Do.
	Outbox
}

// Reply answers in the room the message came from, addressing the
// sender (in a private message, just to the sender).
func (r *Request) Reply(lines ...string) {
	if r.Message.Private {
		r.Send(r.Message.Room, lines...)
		return
	}
	r.Do(Action{Kind: Reply, Target: r.Message.Room, User: r.mention(), Lines: lines})
}

// ReplyPrivately answers the sender in a private message.
func (r *Request) ReplyPrivately(lines ...string) {
	r.Send(r.Message.User.ID, lines...)
}

func (r *Request) mention() string {
	if r.Message.User.Mention != "" {
		return r.Message.User.Mention
	}
	return r.Message.User.Name
}

// StampIDs sets the ID of each action to prefix + "/" + its index. Code
// that runs again for the same cause (a message handled twice, a tick
// fired twice) must use the same prefix, so that the master drops the
// second copy of each action.
func StampIDs(prefix string, actions []Action) {
	for i := range actions {
		actions[i].ID = prefix + "/" + strconv.Itoa(i)
	}
}
