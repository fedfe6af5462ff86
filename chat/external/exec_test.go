package external_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/external"
)

// script writes an executable shell script into dir.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func register(t *testing.T, cmds external.Commands) (*chat.Router, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	r := chat.NewRouter()
	err := external.Register(r, cmds, external.Options{
		Log:     slog.New(slog.NewTextHandler(logs, nil)),
		Environ: []string{"PATH=" + os.Getenv("PATH"), "HERALD_REDIS_PASSWORD=hunter2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, logs
}

func say(text string) chat.Message {
	return chat.Message{ID: "m1", Room: "#ops", User: chat.User{ID: "alice", Name: "alice"},
		Text: text, Addressed: true}
}

func replies(acts []chat.Action) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.Lines...)
	}
	return out
}

func TestExec(t *testing.T) {
	dir := t.TempDir()
	// The script echoes its arguments, environment and the text field of
	// its input; user text with shell syntax must arrive as data.
	echo := script(t, dir, "echo.sh", `read -r input
text=$(printf '%s' "$input" | sed -n 's/.*"text":"\([^"]*\)".*/\1/p')
who=$(printf '%s' "$input" | sed -n 's/.*"groups":{"who":"\([^"]*\)"}.*/\1/p')
echo "args: $*"
echo "text: $text"
echo "who: $who"
echo "env: $HERALD_COMMAND ${HERALD_REDIS_PASSWORD:-no-secret}"
`)
	fail := script(t, dir, "fail.sh", "echo 'half a reply'\necho 'disk on fire' >&2\nexit 3\n")
	r, logs := register(t, external.Commands{
		{Name: "greet", Pattern: `^greet (?P<who>.+)$`, Addressed: true,
			Exec: []string{echo, "fixed", "two words"}},
		{Name: "fail", Pattern: `^fail$`, Addressed: true, Exec: []string{fail}},
	})

	acts, err := r.Dispatch(context.Background(), say("greet $(touch pwned); rm -rf x"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"args: fixed two words", "text: greet $(touch pwned); rm -rf x",
		"who: $(touch pwned); rm -rf x", "env: greet no-secret"}
	if got := replies(acts); !reflect.DeepEqual(got, want) {
		t.Fatalf("replies = %q, want %q", got, want)
	}
	if acts[0].Kind != chat.Reply || acts[0].User != "alice" {
		t.Fatalf("action = %+v", acts[0])
	}
	if _, err := os.Stat("pwned"); err == nil {
		t.Fatal("user text ran as a command")
	}

	acts, err = r.Dispatch(context.Background(), say("fail"))
	if err == nil || len(acts) != 0 || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("fail: %+v, %v", acts, err)
	}
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Fatalf("stderr not logged:\n%s", logs)
	}
}

// TestExecTimeoutKillsTheGroup: a program past its timeout is killed
// with everything it started.
func TestExecTimeoutKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	slow := script(t, dir, "slow.sh", "sleep 30 &\necho $! > "+pidFile+"\nwait\n")
	r, _ := register(t, external.Commands{{Name: "slow", Pattern: `^slow$`,
		Exec: []string{slow}, Timeout: 300 * time.Millisecond}})

	start := time.Now()
	_, err := r.Dispatch(context.Background(), say("slow"))
	if !errors.Is(err, external.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie waiting for its reaper does
// not count).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(stat), ") Z ")
}

func TestExecCancelled(t *testing.T) {
	dir := t.TempDir()
	slow := script(t, dir, "slow.sh", "exec sleep 30\n")
	r, _ := register(t, external.Commands{{Name: "slow", Pattern: `^slow$`,
		Exec: []string{slow}}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := r.Dispatch(ctx, say("slow"))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, external.ErrTimeout) {
		t.Fatalf("err = %v, want the caller's context error", err)
	}
}

func TestRegisterMissingProgram(t *testing.T) {
	err := external.Register(chat.NewRouter(), external.Commands{{Name: "x", Pattern: "x",
		Exec: []string{"no-such-program-herald"}}}, external.Options{})
	want := `chat.commands[0].exec[0] ("no-such-program-herald")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v", err)
	}
}

// TestKarmaExample runs the external command shown in the handler guide.
func TestKarmaExample(t *testing.T) {
	prog, err := filepath.Abs(filepath.Join("testdata", "karma.sh"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := register(t, external.Commands{{Name: "karma", Pattern: `^(?P<name>\w+)\+\+$`,
		Help: "NAME++ - gives NAME a point", Exec: []string{prog, t.TempDir()}}})
	for _, want := range []string{"bob has 1 points", "bob has 2 points"} {
		acts, err := r.Dispatch(context.Background(), say("bob++"))
		if err != nil || !reflect.DeepEqual(replies(acts), []string{want}) {
			t.Fatalf("got %q, %v; want %q", replies(acts), err, want)
		}
	}
}
