package github

// pullRequestEvent is the part of a pull_request payload lines need.
type pullRequestEvent struct {
	base
	PullRequest struct {
		Number  int    `json:"number"`
		Title   string `json:"title"`
		HTMLURL string `json:"html_url"`
		Merged  bool   `json:"merged"`
		Draft   bool   `json:"draft"`
	} `json:"pull_request"`
}

// formatPullRequest reports pull requests opened, closed, merged,
// reopened and marked ready; other actions are left out.
//
//	[acme/widgets] alice merged PR #12: Fix the flaky test https://...
func formatPullRequest(body []byte) (note, error) {
	var e pullRequestEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	pr := e.PullRequest
	var verb string
	switch e.Action {
	case "opened", "reopened":
		verb = e.Action
		if pr.Draft {
			verb += " draft"
		}
	case "closed":
		verb = "closed"
		if pr.Merged {
			verb = "merged"
		}
	case "ready_for_review":
		verb = "marked ready for review"
	default:
		return note{}, nil
	}
	what := e.who() + " " + verb + " PR " + number(pr.Number)
	return e.note(line(e.repo(), what, clean(pr.Title, maxTitle), link(pr.HTMLURL))), nil
}

// issue is the part of an issue that lines need.
type issue struct {
	Number      int       `json:"number"`
	Title       string    `json:"title"`
	HTMLURL     string    `json:"html_url"`
	StateReason string    `json:"state_reason"`
	PullRequest *struct{} `json:"pull_request"`
}

// kind is "PR" for the issue behind a pull request, else "issue".
func (i issue) kind() string {
	if i.PullRequest != nil {
		return "PR"
	}
	return "issue"
}

// issuesEvent is the part of an issues payload that lines need.
type issuesEvent struct {
	base
	Issue issue `json:"issue"`
}

// formatIssues reports issues opened, closed and reopened; other actions
// are left out.
//
//	[acme/widgets] alice opened issue #7: Login fails https://...
func formatIssues(body []byte) (note, error) {
	var e issuesEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	switch e.Action {
	case "opened", "closed", "reopened":
	default:
		return note{}, nil
	}
	what := e.who() + " " + e.Action + " issue " + number(e.Issue.Number)
	if e.Action == "closed" && e.Issue.StateReason == "not_planned" {
		what += " as not planned"
	}
	return e.note(line(e.repo(), what, clean(e.Issue.Title, maxTitle),
		link(e.Issue.HTMLURL))), nil
}

// issueCommentEvent is the part of an issue_comment payload lines need.
type issueCommentEvent struct {
	base
	Issue   issue `json:"issue"`
	Comment struct {
		HTMLURL string `json:"html_url"`
		Body    string `json:"body"`
	} `json:"comment"`
}

// formatIssueComment reports new comments with the start of their text;
// edits and deletions are left out.
//
//	[acme/widgets] bob commented on issue #7: Login fails https://...
//	> Fixed by #12, please check.
func formatIssueComment(body []byte) (note, error) {
	var e issueCommentEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	if e.Action != "created" {
		return note{}, nil
	}
	what := e.who() + " commented on " + e.Issue.kind() + " " + number(e.Issue.Number)
	lines := []string{line(e.repo(), what, clean(e.Issue.Title, maxTitle),
		link(e.Comment.HTMLURL))}
	if text := clean(e.Comment.Body, maxTitle); text != "" {
		lines = append(lines, "> "+text)
	}
	return e.note(lines...), nil
}
