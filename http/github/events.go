package github

import (
	"strconv"
	"strings"
)

// repository is the part of a payload's repository that lines need.
type repository struct {
	FullName string `json:"full_name"`
	HTMLURL  string `json:"html_url"`
}

// account is a GitHub user, bot or organization.
type account struct {
	Login string `json:"login"`
}

// base is what every event payload carries.
type base struct {
	Action     string     `json:"action"`
	Repository repository `json:"repository"`
	Sender     account    `json:"sender"`
}

// repo is the repository's name as shown in a line.
func (b base) repo() string {
	return clean(b.Repository.FullName, 2*maxName+1)
}

// who is the login of the account that caused the event.
func (b base) who() string {
	return orSomeone(clean(b.Sender.Login, maxName))
}

// note routes lines by the event's repository.
func (b base) note(lines ...string) note {
	return note{repo: b.Repository.FullName, lines: lines}
}

// orSomeone stands in for an account that has no name.
func orSomeone(login string) string {
	if login == "" {
		return "someone"
	}
	return login
}

// outcome says how a run or a check ended, such as "succeeded".
func outcome(conclusion string) string {
	switch conclusion {
	case "success":
		return "succeeded"
	case "failure":
		return "failed"
	case "cancelled":
		return "was cancelled"
	case "timed_out":
		return "timed out"
	case "action_required":
		return "needs action"
	case "skipped":
		return "was skipped"
	case "stale":
		return "went stale"
	case "startup_failure":
		return "failed to start"
	case "", "neutral":
		return "finished"
	}
	return "finished (" + clean(conclusion, maxName) + ")"
}

// number is "#12".
func number(n int) string {
	return "#" + strconv.Itoa(n)
}

// on is " on BRANCH", or "" when the branch is unknown.
func on(branch string) string {
	if b := clean(branch, maxRef); b != "" {
		return " on " + b
	}
	return ""
}

// refName splits a git ref into its kind and short name:
// refs/heads/main is ("branch", "main").
func refName(ref string) (kind, name string) {
	if n, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return "branch", clean(n, maxRef)
	}
	if n, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return "tag", clean(n, maxRef)
	}
	return "ref", clean(ref, maxRef)
}
