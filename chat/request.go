package chat

// Request is one message matched by one route, and the actions its
// handler asks for. A handler must not keep it after returning.
type Request struct {
	// Message is what was said.
	Message Message
	// Match holds the whole match and the pattern's groups.
	Match []string
	// Route is the name of the route that matched.
	Route string

	actions []Action
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

// Send says lines to a room or a user.
func (r *Request) Send(target string, lines ...string) {
	r.Do(Action{Kind: Send, Target: target, Lines: lines})
}

// SetTopic sets a room's topic.
func (r *Request) SetTopic(room, topic string) {
	r.Do(Action{Kind: Topic, Target: room, Text: topic})
}

// Join asks the bot to join a room.
func (r *Request) Join(room string) { r.Do(Action{Kind: Join, Target: room}) }

// Part asks the bot to leave a room.
func (r *Request) Part(room string) { r.Do(Action{Kind: Part, Target: room}) }

// Do queues any action; the router sets its ID.
func (r *Request) Do(a Action) { r.actions = append(r.actions, a) }

// Actions returns the actions asked for so far.
func (r *Request) Actions() []Action { return r.actions }

func (r *Request) mention() string {
	if r.Message.User.Mention != "" {
		return r.Message.User.Mention
	}
	return r.Message.User.Name
}
