package github

import "strconv"

// releaseEvent is the part of a release payload lines need.
type releaseEvent struct {
	base
	Release struct {
		TagName    string `json:"tag_name"`
		Name       string `json:"name"`
		HTMLURL    string `json:"html_url"`
		Prerelease bool   `json:"prerelease"`
	} `json:"release"`
}

// formatRelease reports published releases; drafts, edits and the other
// actions are left out.
//
//	[acme/widgets] alice published release v1.2.0 (Spring): https://...
func formatRelease(body []byte) (note, error) {
	var e releaseEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	if e.Action != "published" {
		return note{}, nil
	}
	r := e.Release
	kind := "release"
	if r.Prerelease {
		kind = "pre-release"
	}
	tag := clean(r.TagName, maxRef)
	what := e.who() + " published " + kind + " " + tag
	if name := clean(r.Name, maxTitle); name != "" && name != tag {
		what += " (" + name + ")"
	}
	return e.note(line(e.repo(), what, "", link(r.HTMLURL))), nil
}

// pingEvent is the part of a ping payload lines need. A ping for an
// organization's webhook has no repository.
type pingEvent struct {
	base
	HookID       int64   `json:"hook_id"`
	Organization account `json:"organization"`
}

// formatPing confirms a new webhook, so that whoever set it up sees it
// arrive.
//
//	[acme/widgets] alice set up webhook 109948940: https://github.com/acme/widgets
func formatPing(body []byte) (note, error) {
	var e pingEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	what := e.who() + " set up webhook"
	if e.HookID != 0 {
		what += " " + strconv.FormatInt(e.HookID, 10)
	}
	repo, url := e.repo(), link(e.Repository.HTMLURL)
	if repo == "" {
		repo = clean(e.Organization.Login, maxName)
		if repo != "" {
			url = "https://github.com/" + repo
		}
	}
	return e.note(line(repo, what, "", url)), nil
}
