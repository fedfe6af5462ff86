// Package browsertest drives a real headless Chromium from tests, to read
// pages the way a person does: the text shown, after the page rendered,
// with JavaScript off unless a test turns it on.
//
// It starts Debian's `chromium` with a fresh profile in a temporary
// folder, talks to it over a pipe (no debugging port is opened), and
// stops it when the test ends. It fails the test when chromium is
// missing: `make test-deps` installs it. Pages must be served on
// loopback; the browser is started with background networking, sync,
// component updates and QUIC turned off, so it reaches for nothing else.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Timeout bounds each step a Browser takes.
const Timeout = 15 * time.Second

// Browser is one Chromium tab owned by a test.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// Start starts Chromium for t, with JavaScript off in its tab, and
// registers its stop with t.Cleanup.
func Start(t testing.TB) *Browser {
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
	b := &Browser{t: t, ctx: ctx}

	// The first step starts the browser; it gets the browser's own
	// context, since a deadline on it would end the browser too.
	if err := chromedp.Do(ctx, noScripts()); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// noScripts turns JavaScript off in the tab.
func noScripts() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
}

// do runs steps within Timeout and fails the test on an error.
func (b *Browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Open loads url and waits until its body is shown.
func (b *Browser) Open(url string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("body")))
}

// Reload loads the page again, as a person pressing F5.
func (b *Browser) Reload() {
	b.t.Helper()
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("body")))
}

// Text returns the text the page shows, with every run of white space
// made one space.
func (b *Browser) Text() string {
	b.t.Helper()
	text, err := b.text(Timeout)
	if err != nil {
		b.t.Fatalf("browser: read the page: %v", err)
	}
	return text
}

func (b *Browser) text(within time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	return strings.Join(strings.Fields(text), " "), err
}

// Title returns the page's title.
func (b *Browser) Title() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		b.t.Fatalf("browser: read the title: %v", err)
	}
	return title
}

// WaitText polls the open page, without reloading it, until its text
// holds want, and fails the test after within. A page that reloads
// itself is read after each of its reloads.
func (b *Browser) WaitText(want string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		text, err := b.text(2 * time.Second)
		if err == nil && strings.Contains(text, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: the page did not come to read %q within %v "+
				"(last error: %v):\n%s", want, within, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Screenshot saves the whole page as a PNG file at path.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
