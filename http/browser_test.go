package http_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

// screenshotEnv names a PNG file the browser test saves the page to, for
// a person to look at.
const screenshotEnv = "HERALD_PAGE_SCREENSHOT"

// chromium starts a headless Chromium with a fresh profile for the test
// and returns its context; the browser is stopped when the test ends.
func chromium(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (run `make test-deps`): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // as root, Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, stopBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { stopBrowser(); stopAlloc() })

	// The first Run starts the browser; it must get the browser's own
	// context, not one with a deadline, or the deadline would end it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// do runs steps with a deadline.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value, with a deadline.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// pageText is the text of the page's body as a person reads it, with
// runs of white space made one space.
func pageText(t *testing.T, ctx context.Context) string {
	t.Helper()
	text := get(t, ctx, "read the page", chromedp.Text(chromedp.CSS("body")))
	return strings.Join(strings.Fields(text), " ")
}

// noScripts turns JavaScript off in the tab: the page must be readable
// without it.
func noScripts() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
}

// mustRead fails unless the page reads every one of want.
func mustRead(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page does not read %q:\n%s", w, text)
		}
	}
}

// cluster is a Status the test changes while the page is open.
type cluster struct {
	mu sync.Mutex
	st heraldhttp.Status
}

func (c *cluster) set(edit func(*heraldhttp.Status)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	edit(&c.st)
}

func (c *cluster) status(context.Context) (heraldhttp.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	st.Nodes = append([]queue.NodeInfo(nil), c.st.Nodes...)
	return st, nil
}

// threeNodes is a healthy cluster with n2 master in term 7.
func threeNodes(now time.Time) heraldhttp.Status {
	node := func(id string, master bool, term uint64) queue.NodeInfo {
		return queue.NodeInfo{ID: id, Addr: "127.0.0.1:808" + id[1:], Version: "v0.6.0",
			Started: now.Add(-3 * time.Hour), Seen: now.Add(-time.Second), Master: master,
			Term: term}
	}
	return heraldhttp.Status{Node: "n1", Master: "n2", Term: 7, Version: "v0.6.0",
		Started: now.Add(-3 * time.Hour), MasterSince: now.Add(-90 * time.Minute),
		Nodes: []queue.NodeInfo{node("n1", false, 7), node("n2", true, 7),
			node("n3", false, 7)},
		Queues: map[string]int64{queue.Inbound: 0, queue.Outbound: 1, queue.Jobs: 12,
			queue.Dead: 2},
		DeadLetters: 2,
		Changes: []heraldhttp.MasterChange{{Time: now.Add(-90 * time.Minute), Term: 7,
			Master: "n2", Event: "started"}},
	}
}

// TestStatusPageInChromium opens the page in a real browser with
// JavaScript off, reads it as a person would, and follows a failover.
func TestStatusPageInChromium(t *testing.T) {
	now := time.Now()
	c := &cluster{st: threeNodes(now)}
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) { d.Status = c.status })
	f.q.dead = []queue.DeadLetter{{List: queue.Jobs, Died: now.Add(-time.Minute),
		Envelope: queue.Envelope{ID: "gh-1", Kind: "github", Attempts: 3,
			Error: "format push: <b>no</b> such repository", Body: []byte(`{"token":"s3cr3t"}`)}}}
	web := httptest.NewServer(f.srv.Handler())
	t.Cleanup(web.Close)

	ctx := chromium(t)
	do(t, ctx, "open the page", noScripts(), chromedp.Navigate(web.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("header")))
	text := pageText(t, ctx)
	mustRead(t, text, "Master n2, term 7", "since", "(1h30m", "2 dead letters.",
		"n1 (this page)", "127.0.0.1:8082", "master, term 7", "jobs 12",
		"format push: <b>no</b> such repository", "gh-1", "1m0")
	if strings.Contains(text, "No master") || strings.Contains(text, "s3cr3t") {
		t.Errorf("page of a healthy cluster:\n%s", text)
	}
	screenshot(t, ctx)

	// The master dies: nobody is master until the lease runs out.
	c.set(func(st *heraldhttp.Status) {
		st.Master, st.MasterSince, st.Nodes = "", now, st.Nodes[:1]
		st.Nodes = append(st.Nodes, threeNodes(now).Nodes[2])
	})
	do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("header")))
	mustRead(t, pageText(t, ctx), "No master", "the lists keep buffering", "Nodes (2)")

	// n3 wins term 8; the page reloads by itself and shows it.
	c.set(func(st *heraldhttp.Status) {
		st.Master, st.Term = "n3", 8
		st.Nodes[1].Master, st.Nodes[1].Term = true, 8
	})
	waitRead(t, ctx, 12*time.Second, "Master n3, term 8")
	text = pageText(t, ctx)
	mustRead(t, text, "master, term 8")
	if strings.Contains(text, "No master") {
		t.Errorf("after the failover the page still warns:\n%s", text)
	}
	title := get(t, ctx, "read the title", chromedp.Title())
	if title != "Herald: n3 is master, term 8" {
		t.Errorf("title %q", title)
	}
}

// waitRead polls the open page, without reloading it, until it reads
// want.
func waitRead(t *testing.T, ctx context.Context, within time.Duration, want string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		text, err := chromedp.Run(rctx, chromedp.Text(chromedp.CSS("body")))
		cancel()
		if err == nil && strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("page did not come to read %q within %v (last error %v):\n%s",
				want, within, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot saves the page to the file named by HERALD_PAGE_SCREENSHOT,
// when it is set.
func screenshot(t *testing.T, ctx context.Context) {
	path := os.Getenv(screenshotEnv)
	if path == "" {
		return
	}
	png := get(t, ctx, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
