package github

import "strings"

// actionsApp is the slug of GitHub Actions, whose check runs repeat what
// workflow_run events already report.
const actionsApp = "github-actions"

// workflowRunEvent is the part of a workflow_run payload lines need.
type workflowRunEvent struct {
	base
	Workflow struct {
		Name string `json:"name"`
	} `json:"workflow"`
	Run struct {
		Name       string `json:"name"`
		RunNumber  int    `json:"run_number"`
		HeadBranch string `json:"head_branch"`
		Conclusion string `json:"conclusion"`
		HTMLURL    string `json:"html_url"`
	} `json:"workflow_run"`
}

// formatWorkflowRun reports finished workflow runs; runs requested or in
// progress are left out.
//
//	[acme/widgets] workflow test #163 on main by alice failed: https://...
func formatWorkflowRun(body []byte) (note, error) {
	var e workflowRunEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	if e.Action != "completed" {
		return note{}, nil
	}
	name := clean(e.Run.Name, maxName)
	if name == "" {
		name = clean(e.Workflow.Name, maxName)
	}
	what := "workflow " + name + " " + number(e.Run.RunNumber) + on(e.Run.HeadBranch) +
		" by " + e.who() + " " + outcome(e.Run.Conclusion)
	return e.note(line(e.repo(), what, "", link(e.Run.HTMLURL))), nil
}

// checkRunEvent is the part of a check_run payload lines need.
type checkRunEvent struct {
	base
	CheckRun struct {
		Name       string `json:"name"`
		Conclusion string `json:"conclusion"`
		HTMLURL    string `json:"html_url"`
		App        struct {
			Slug string `json:"slug"`
		} `json:"app"`
		CheckSuite struct {
			HeadBranch string `json:"head_branch"`
		} `json:"check_suite"`
	} `json:"check_run"`
}

// formatCheckRun reports finished check runs of apps other than GitHub
// Actions (whose runs workflow_run reports once per workflow rather than
// once per job).
//
//	[acme/widgets] check lint on main succeeded: https://...
func formatCheckRun(body []byte) (note, error) {
	var e checkRunEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	c := e.CheckRun
	if e.Action != "completed" || c.App.Slug == actionsApp {
		return note{}, nil
	}
	what := "check " + clean(c.Name, maxName) + on(c.CheckSuite.HeadBranch) + " " +
		outcome(c.Conclusion)
	return e.note(line(e.repo(), what, "", link(c.HTMLURL))), nil
}

// statusEvent is the part of a status payload lines need.
type statusEvent struct {
	base
	SHA         string `json:"sha"`
	State       string `json:"state"`
	Context     string `json:"context"`
	Description string `json:"description"`
	TargetURL   string `json:"target_url"`
	Commit      struct {
		HTMLURL string `json:"html_url"`
		Commit  struct {
			Message string `json:"message"`
		} `json:"commit"`
	} `json:"commit"`
}

// statusVerbs say how a commit status ended; pending is left out.
var statusVerbs = map[string]string{
	"success": "succeeded",
	"failure": "failed",
	"error":   "errored",
}

// formatStatus reports commit statuses that ended, with their
// description or else the commit's subject.
//
//	[acme/widgets] status ci/jenkins failed for 4f2a9c1: Build #5 failed https://...
func formatStatus(body []byte) (note, error) {
	var e statusEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	verb, ok := statusVerbs[e.State]
	if !ok {
		return note{}, nil
	}
	what := "status " + clean(e.Context, maxName) + " " + verb + " for " + shortSHA(e.SHA)
	detail := clean(e.Description, maxTitle)
	if detail == "" {
		detail = title(e.Commit.Commit.Message)
	}
	url := link(e.TargetURL)
	if url == "" {
		url = link(e.Commit.HTMLURL)
	}
	return e.note(line(e.repo(), what, detail, url)), nil
}

// deploymentStatusEvent is the part of a deployment_status payload lines
// need.
type deploymentStatusEvent struct {
	base
	Status struct {
		State          string `json:"state"`
		Environment    string `json:"environment"`
		TargetURL      string `json:"target_url"`
		LogURL         string `json:"log_url"`
		EnvironmentURL string `json:"environment_url"`
	} `json:"deployment_status"`
	Deployment struct {
		Ref         string  `json:"ref"`
		Environment string  `json:"environment"`
		Creator     account `json:"creator"`
	} `json:"deployment"`
}

// deployVerbs say how far a deployment got; pending, queued and inactive
// are left out.
var deployVerbs = map[string]string{
	"in_progress": "started",
	"success":     "succeeded",
	"failure":     "failed",
	"error":       "errored",
}

// formatDeploymentStatus reports deployments started and ended.
//
//	[acme/widgets] deployment of main to production by alice succeeded: https://...
func formatDeploymentStatus(body []byte) (note, error) {
	var e deploymentStatusEvent
	if err := decode(body, &e); err != nil {
		return note{}, err
	}
	verb, ok := deployVerbs[e.Status.State]
	if !ok {
		return note{}, nil
	}
	env := e.Status.Environment
	if env == "" {
		env = e.Deployment.Environment
	}
	who := clean(e.Deployment.Creator.Login, maxName)
	if who == "" {
		who = e.who()
	}
	what := "deployment of " + deployRef(e.Deployment.Ref) + " to " + clean(env, maxName) +
		" by " + who + " " + verb
	return e.note(line(e.repo(), what, "", e.link())), nil
}

// link is the first web address the deployment status gives, else the
// repository's deployments page.
func (e deploymentStatusEvent) link() string {
	for _, u := range []string{e.Status.TargetURL, e.Status.LogURL, e.Status.EnvironmentURL} {
		if l := link(u); l != "" {
			return l
		}
	}
	if repo := link(e.Repository.HTMLURL); repo != "" {
		return repo + "/deployments"
	}
	return ""
}

// deployRef shortens a deployed commit id and keeps a branch or tag.
func deployRef(ref string) string {
	if len(ref) == 40 && strings.Trim(ref, "0123456789abcdef") == "" {
		return shortSHA(ref)
	}
	return clean(ref, maxRef)
}
