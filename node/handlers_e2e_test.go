package node_test

import (
	"fmt"
	nethttp "net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/irc/ircdtest"
	"github.com/herald-chatops/herald/node/clustertest"
)

var tickRE = regexp.MustCompile(`^tick (\d+)( late)?$`)

// ticks counts each tick slot said in #ops, and how many were late.
func (c *e2e) ticks() (slots map[string]int, late int) {
	slots = map[string]int{}
	for _, l := range c.client.Lines() {
		if m := tickRE.FindStringSubmatch(l.Text); m != nil && l.Target == "#ops" {
			slots[m[1]]++
			if m[2] != "" {
				late++
			}
		}
	}
	return slots, late
}

func TestE2ETimerFiresOncePerTickAcrossTheCluster(t *testing.T) {
	c := startE2EWith(t, "", "HERALD_CHAT_TEST_TIMER=500ms", "HERALD_CHAT_IRC_RATE=20",
		"HERALD_CHAT_IRC_BURST=20")
	if !clustertest.Eventually(10*time.Second, func() bool {
		slots, _ := c.ticks()
		return len(slots) >= 6
	}) {
		t.Fatal("fewer than 6 ticks in 10s")
	}
	master := c.master()
	c.nodes[master].Kill()
	c.waitBotJoined(15 * time.Second)
	before, _ := c.ticks()
	if !clustertest.Eventually(10*time.Second, func() bool {
		slots, _ := c.ticks()
		return len(slots) >= len(before)+4
	}) {
		t.Fatal("ticks did not resume after the failover")
	}
	slots, late := c.ticks()
	for slot, n := range slots {
		if n != 1 {
			t.Errorf("tick %s said %d times, want once", slot, n)
		}
	}
	// A tick missed while no master was up fires once, late, after.
	if late != 1 {
		t.Errorf("%d late ticks after one failover, want 1", late)
	}
	t.Logf("%d ticks, %d late, across a SIGKILL of %s", len(slots), late, master)
}

func TestE2ENoteSurvivesFailover(t *testing.T) { forModes(t, testNoteSurvivesFailover) }

func testNoteSurvivesFailover(t *testing.T, c *e2e) {
	c.ask("note deploy friday is frozen", "noted deploy", 5*time.Second)
	master := c.master()
	c.nodes[master].Kill()
	c.waitBotJoined(15 * time.Second)
	c.ask("note deploy", "deploy: friday is frozen", 10*time.Second)
}

func TestE2EIgnoredUserNeverReachesWorkers(t *testing.T) {
	c := startE2EWith(t, "", "HERALD_CHAT_IGNORE_USERS=pest")
	pest := ircdtest.Dial(t, c.ircAddr, "pest")
	pest.Join("#ops")
	pest.Say("#ops", "herald: echo from-pest")
	c.ask("echo from-tester", "from-tester", 5*time.Second)

	// The veto happens on the master, before the inbound list: no worker
	// ever handles the message, and nobody answers it.
	if !clustertest.Eventually(5*time.Second, func() bool {
		return len(c.book.Grep("", "message vetoed", "ignore")) > 0
	}) {
		t.Fatal("the master logged no veto")
	}
	time.Sleep(time.Second) // settle: a wrong answer would arrive here
	for _, l := range c.client.Lines() {
		if strings.HasPrefix(l.From, "herald") && strings.Contains(l.Text, "from-pest") {
			t.Fatalf("the ignored user was answered: %q", l.Text)
		}
	}
	if n := len(c.book.Grep("", "handling message")); n != 1 {
		t.Fatalf("%d messages handled, want only the tester's", n)
	}
}

func TestE2EWorkerActionsOnFollowerReachChat(t *testing.T) {
	c := startE2E(t)
	// Every answer is made by whichever worker popped the message; ask
	// until a follower has answered one, then check it reached #ops.
	for i := range 20 {
		text := "from-worker-" + strings.Repeat("x", i)
		c.ask("echo "+text, text, 5*time.Second)
		master := c.master()
		for _, l := range c.book.Grep("", "handling message") {
			if l.Node != master {
				return
			}
		}
	}
	t.Fatal("no follower handled any of 20 messages")
}

func TestE2EExternalCommandAndHTTPRoute(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "shout.sh")
	// The message arrives as JSON on stdin; the user's text is never an
	// argument, so shell syntax in it stays text.
	body := "#!/bin/sh\nread -r msg\necho \"heard: $(printf '%s' \"$msg\" | " +
		"sed -n 's/.*\"text\":\"\\([^\"]*\\)\".*/\\1/p')\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	chatYAML := fmt.Sprintf(`  commands:
    - {name: shout, pattern: "^shout .+$", addressed: true, exec: [%q], timeout: 5s}`, script)
	c := startE2EChat(t, chatYAML, "")
	trap := filepath.Join(dir, "pwned")
	say := fmt.Sprintf("shout $(touch %s) hi", trap)
	c.ask(say, "heard: "+say, 10*time.Second)
	if _, err := os.Stat(trap); err == nil {
		t.Fatal("user text was run by a shell")
	}

	// A handler's HTTP route answers on every node, and what it says
	// reaches chat through the master.
	for i, id := range c.order {
		text := fmt.Sprintf("via-http-%d", i)
		resp, err := nethttp.Post("http://"+c.nodes[id].HTTP+"/handlers/test/say",
			"text/plain", strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("POST to %s answered %d, want 202", id, resp.StatusCode)
		}
		if !clustertest.Eventually(10*time.Second, func() bool { return c.countText(text) == 1 }) {
			t.Fatalf("%q posted to %s never reached #ops", text, id)
		}
	}
}
