package github

// pushEvent is the part of a push payload that lines need.
type pushEvent struct {
	base
	Ref        string     `json:"ref"`
	Created    bool       `json:"created"`
	Deleted    bool       `json:"deleted"`
	Forced     bool       `json:"forced"`
	Compare    string     `json:"compare"`
	Commits    []struct{} `json:"commits"`
	HeadCommit *struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"head_commit"`
	Pusher struct {
		Name string `json:"name"`
	} `json:"pusher"`
}

// formatPush says who pushed what where, and the head commit of a branch:
//
//	[acme/widgets] alice pushed 3 commits to main: https://...
//	4f2a9c1 Fix the flaky test
func formatPush(body []byte) (note, error) {
	var e pushEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	kind, _ := refName(e.Ref)
	url := ""
	if !e.Deleted {
		url = link(e.Compare)
	}
	lines := []string{line(e.repo(), e.pusher()+" "+e.what(), "", url)}
	if h := e.HeadCommit; h != nil && kind == "branch" && !e.Deleted {
		lines = append(lines, shortSHA(h.ID)+" "+title(h.Message))
	}
	return e.note(lines...), nil
}

// pusher is the sender's login, else the git name of the pusher.
func (e pushEvent) pusher() string {
	if l := clean(e.Sender.Login, maxName); l != "" {
		return l
	}
	return orSomeone(clean(e.Pusher.Name, maxName))
}

// what tells a new, deleted or forced ref apart from a plain push.
func (e pushEvent) what() string {
	kind, name := refName(e.Ref)
	n := len(e.Commits)
	switch {
	case e.Deleted:
		return "deleted " + kind + " " + name
	case e.Created && kind != "tag" && n > 0:
		return "created " + kind + " " + name + " with " + plural(n, "commit")
	case e.Created:
		return "created " + kind + " " + name
	}
	verb := "pushed"
	if e.Forced {
		verb = "force-pushed"
	}
	if n == 0 {
		return verb + " to " + name
	}
	return verb + " " + plural(n, "commit") + " to " + name
}
