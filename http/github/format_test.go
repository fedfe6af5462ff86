package github

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-chatops/herald/chat"
)

// payloadDir holds the recorded payloads, at the repository root.
const payloadDir = "../../testdata/webhooks/github"

// readPayload returns a recorded payload by file name.
func readPayload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(payloadDir, name))
	if err != nil {
		t.Fatalf("read payload: %v", err)
	}
	return b
}

// testSource routes octo-org to #ci and everything else to #ops.
func testSource(t testing.TB) *Source {
	t.Helper()
	s, err := New(Config{
		Secret: "0123456789abcdef-test",
		Room:   "#ops",
		Routes: []Route{{Repo: "octo-org/*", Room: "#ci"}},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestFormatRecordedPayloads(t *testing.T) {
	s := testSource(t)
	tests := []struct {
		file  string
		room  string
		lines []string
	}{
		{"push.new-branch.json", "#ops", []string{
			"[Codertocat/Hello-World] Codertocat created branch master with 1 commit: " +
				"https://github.com/Codertocat/Hello-World/commit/" +
				"6113728f27ae82c7b1a177c8d03f9e96e0adf246",
			"6113728 Initial commit",
		}},
		{"push.tag.json", "#ops", []string{
			"[Codertocat/Hello-World] Codertocat deleted tag simple-tag",
		}},
		{"pull_request.opened.json", "#ops", []string{
			"[Codertocat/Hello-World] Codertocat opened PR #2: Update the README with new " +
				"information. https://github.com/Codertocat/Hello-World/pull/2",
		}},
		{"pull_request.closed.json", "#ops", []string{
			"[Codertocat/Hello-World] Codertocat closed PR #2: Update the README with new " +
				"information. https://github.com/Codertocat/Hello-World/pull/2",
		}},
		{"issues.opened.json", "#ops", []string{
			"[Codertocat/Hello-World] Codertocat opened issue #1: Spelling error in the " +
				"README file https://github.com/Codertocat/Hello-World/issues/1",
		}},
		{"issue_comment.created.json", "#ops", []string{
			"[Codertocat/Hello-World] Codertocat commented on issue #1: Spelling error in " +
				"the README file https://github.com/Codertocat/Hello-World/issues/1" +
				"#issuecomment-492700400",
			"> You are totally right! I'll get this fixed right away.",
		}},
		{"workflow_run.completed.json", "#ci", []string{
			"[octo-org/octo-repo] workflow test #163 on master by Codertocat succeeded: " +
				"https://github.com/octo-org/octo-repo/actions/runs/289782451",
		}},
		{"check_run.completed.json", "#ops", []string{
			"[Codertocat/Hello-World] check Octocoders-linter on changes succeeded: " +
				"https://github.com/Codertocat/Hello-World/runs/128620228",
		}},
		{"release.published.json", "#ops", []string{
			"[Codertocat/Hello-World] Codertocat published release 0.0.1: " +
				"https://github.com/Codertocat/Hello-World/releases/tag/0.0.1",
		}},
		{"deployment_status.event.json", "#ops", []string{
			"[Codertocat/Hello-World] deployment of master to production by Codertocat " +
				"succeeded: https://github.com/Codertocat/Hello-World/deployments",
		}},
		{"status.event.json", "#ops", []string{
			"[Codertocat/Hello-World] status default succeeded for 6113728: Initial commit " +
				"https://github.com/Codertocat/Hello-World/commit/" +
				"6113728f27ae82c7b1a177c8d03f9e96e0adf246",
		}},
		{"ping.event.json", "#ops", []string{
			"[Octocoders/Hello-World] Codertocat set up webhook 109948940: " +
				"https://github.com/Octocoders/Hello-World",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			event, _, _ := strings.Cut(tt.file, ".")
			got, err := s.Format(event, readPayload(t, tt.file))
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			checkActions(t, got, tt.room, tt.lines)
		})
	}
}

// TestFormatCoversEveryPayload keeps the table above in step with the
// recorded files.
func TestFormatCoversEveryPayload(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(payloadDir, "*.json"))
	if err != nil || len(files) != 12 {
		t.Fatalf("want the 12 recorded payloads, found %d (%v)", len(files), err)
	}
}

// checkActions wants exactly one notice to room with lines.
func checkActions(t *testing.T, got []chat.Action, room string, lines []string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("got %d actions, want 1: %+v", len(got), got)
	}
	a := got[0]
	if a.Kind != chat.Send || !a.Notice || a.Target != room || a.ID != "" {
		t.Errorf("action = %+v, want a Send notice to %s without id", a, room)
	}
	if strings.Join(a.Lines, "\n") != strings.Join(lines, "\n") {
		t.Errorf("lines:\n got %q\nwant %q", a.Lines, lines)
	}
}

func TestFormatVariants(t *testing.T) {
	s := testSource(t)
	repo := `"repository":{"full_name":"acme/widgets","html_url":"https://github.com/acme/widgets"}`
	sender := `"sender":{"login":"alice"}`
	tests := []struct {
		name, event, body string
		lines             []string
	}{
		{"push to a branch", "push", `{"ref":"refs/heads/main","compare":"https://c",` +
			`"commits":[{},{},{}],"head_commit":{"id":"4f2a9c1e00","message":"Fix it\n\nbody"},` +
			repo + "," + sender + "}",
			[]string{"[acme/widgets] alice pushed 3 commits to main: https://c", "4f2a9c1 Fix it"}},
		{"force push", "push", `{"ref":"refs/heads/main","forced":true,"compare":"https://c",` +
			`"commits":[{}],` + repo + "," + sender + "}",
			[]string{"[acme/widgets] alice force-pushed 1 commit to main: https://c"}},
		{"force push rewinding", "push", `{"ref":"refs/heads/main","forced":true,"commits":[],` +
			repo + "," + sender + "}",
			[]string{"[acme/widgets] alice force-pushed to main"}},
		{"new tag", "push", `{"ref":"refs/tags/v1.2","created":true,"compare":"https://c",` +
			`"head_commit":{"id":"4f2a9c1e00","message":"x"},` + repo + "," + sender + "}",
			[]string{"[acme/widgets] alice created tag v1.2: https://c"}},
		{"deleted branch", "push", `{"ref":"refs/heads/old","deleted":true,"compare":"https://c",` +
			repo + `,"pusher":{"name":"Alice A"}}`,
			[]string{"[acme/widgets] Alice A deleted branch old"}},
		{"merged pull request", "pull_request", `{"action":"closed","pull_request":` +
			`{"number":12,"title":"Fix","html_url":"https://p","merged":true},` + repo + "," + sender + "}",
			[]string{"[acme/widgets] alice merged PR #12: Fix https://p"}},
		{"draft pull request", "pull_request", `{"action":"opened","pull_request":` +
			`{"number":3,"title":"WIP","html_url":"https://p","draft":true},` + repo + "," + sender + "}",
			[]string{"[acme/widgets] alice opened draft PR #3: WIP https://p"}},
		{"issue not planned", "issues", `{"action":"closed","issue":{"number":7,"title":"T",` +
			`"html_url":"https://i","state_reason":"not_planned"},` + repo + "," + sender + "}",
			[]string{"[acme/widgets] alice closed issue #7 as not planned: T https://i"}},
		{"comment on a pull request", "issue_comment", `{"action":"created","issue":{"number":4,` +
			`"title":"T","pull_request":{}},"comment":{"html_url":"https://c","body":"ok\r\nthanks"},` +
			repo + "," + sender + "}",
			[]string{"[acme/widgets] alice commented on PR #4: T https://c", "> ok thanks"}},
		{"failed workflow", "workflow_run", `{"action":"completed","workflow_run":{"name":"ci",` +
			`"run_number":9,"head_branch":"main","conclusion":"failure","html_url":"https://r"},` +
			repo + "," + sender + "}",
			[]string{"[acme/widgets] workflow ci #9 on main by alice failed: https://r"}},
		{"status with description", "status", `{"sha":"abcdef0123","state":"failure",` +
			`"context":"ci/jenkins","description":"Build #5 failed","target_url":"https://j",` +
			repo + "," + sender + "}",
			[]string{"[acme/widgets] status ci/jenkins failed for abcdef0: Build #5 failed https://j"}},
		{"pre-release with a name", "release", `{"action":"published","release":` +
			`{"tag_name":"v2.0-rc1","name":"Spring","html_url":"https://r","prerelease":true},` +
			repo + "," + sender + "}",
			[]string{"[acme/widgets] alice published pre-release v2.0-rc1 (Spring): https://r"}},
		{"deployment of a commit failed", "deployment_status", `{"deployment_status":` +
			`{"state":"failure","log_url":"https://l"},"deployment":{"environment":"staging",` +
			`"ref":"f95f852bd8fca8fcc58a9a2d6c842781e32a215e"},` + repo + "," + sender + "}",
			[]string{"[acme/widgets] deployment of f95f852 to staging by alice failed: https://l"}},
		{"organization ping", "ping", `{"hook_id":5,"organization":{"login":"acme"},` + sender + "}",
			[]string{"[acme] alice set up webhook 5: https://github.com/acme"}},
		{"line break in a title", "issues", `{"action":"opened","issue":{"number":1,` +
			`"title":"a\r\nPRIVMSG #x :hi\u0007\u202e","html_url":"javascript:x"},` +
			repo + "," + sender + "}",
			[]string{"[acme/widgets] alice opened issue #1: a PRIVMSG #x :hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Format(tt.event, []byte(tt.body))
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			checkActions(t, got, "#ops", tt.lines)
		})
	}
}

func TestFormatQuiet(t *testing.T) {
	s := testSource(t)
	repo := `"repository":{"full_name":"acme/widgets"}`
	tests := []struct{ name, event, body string }{
		{"pull request labeled", "pull_request", `{"action":"labeled",` + repo + "}"},
		{"issue edited", "issues", `{"action":"edited",` + repo + "}"},
		{"comment deleted", "issue_comment", `{"action":"deleted",` + repo + "}"},
		{"workflow in progress", "workflow_run", `{"action":"in_progress",` + repo + "}"},
		{"check run of GitHub Actions", "check_run",
			`{"action":"completed","check_run":{"app":{"slug":"github-actions"}},` + repo + "}"},
		{"status pending", "status", `{"state":"pending",` + repo + "}"},
		{"deployment queued", "deployment_status",
			`{"deployment_status":{"state":"queued"},` + repo + "}"},
		{"release drafted", "release", `{"action":"created",` + repo + "}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Format(tt.event, []byte(tt.body))
			if err != nil || got != nil {
				t.Errorf("Format = %+v, %v; want nil, nil", got, err)
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	unrouted, err := New(Config{Routes: []Route{{Repo: "octo-org/*", Room: "#ci"}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, event, body string
		src               *Source
		want              error
	}{
		{"unknown event", "fork", `{}`, testSource(t), ErrNoFormatter},
		{"not JSON", "push", `{"ref":`, testSource(t), ErrMalformed},
		{"wrong type", "issues", `{"issue":{"number":"1"}}`, testSource(t), ErrMalformed},
		{"no room", "issues", `{"action":"opened","repository":{"full_name":"a/b"}}`,
			unrouted, ErrNoRoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.src.Format(tt.event, []byte(tt.body))
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("Format = %+v, %v; want nil, %v", got, err, tt.want)
			}
		})
	}
}
