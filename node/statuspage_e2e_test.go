package node_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/herald-chatops/herald/http/browsertest"
)

// TestE2EStatusPageInBrowser reads a follower's status page in a real
// headless Chromium, before and after the master is killed. With
// HERALD_SCREENSHOT=FILE it also saves a picture of the page (make
// screenshot).
func TestE2EStatusPageInBrowser(t *testing.T) {
	c := startE2E(t)
	c.ask("ping", "pong", 5*time.Second)
	master := c.master()
	follower := c.follower()
	b := browsertest.Start(t)
	b.Open("http://" + c.nodes[follower].HTTP + "/")
	b.WaitText(fmt.Sprintf("Master %s", master), 10*time.Second)
	for _, id := range c.order {
		b.WaitText(c.nodes[id].HTTP, 5*time.Second) // every node's address is listed
	}
	if out := os.Getenv("HERALD_SCREENSHOT"); out != "" {
		b.Screenshot(out)
		t.Logf("status page saved to %s", out)
	}

	c.nodes[master].Kill()
	c.waitBotJoined(15 * time.Second)
	now := c.master()
	b.Reload()
	b.WaitText(fmt.Sprintf("Master %s", now), 10*time.Second)
	b.WaitText("started", 5*time.Second) // the change is in the recent master changes
}
