package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-chatops/herald/http/browsertest"
)

// page is served to the browser; its script would change the text.
const page = `<!doctype html><html><head><title>t</title>
<meta http-equiv="refresh" content="1"></head>
<body><p id="p">shown   by
html</p><script>document.getElementById("p").textContent = "shown by script"</script>
</body></html>`

func TestReadsWithoutJavaScript(t *testing.T) {
	var loads atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		n := loads.Add(1)
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(strings.Replace(page, "html</p>",
			fmt.Sprintf("html, load %d</p>", n), 1)))
	}))
	t.Cleanup(srv.Close)
	b := browsertest.Start(t)
	b.Open(srv.URL)
	if got := b.Text(); got != "shown by html, load 1" {
		t.Errorf("text %q, want the page without its script run", got)
	}
	if b.Title() != "t" {
		t.Errorf("title %q", b.Title())
	}
	b.WaitText("load 2", 5*time.Second) // the page reloads itself
	b.Reload()
	b.WaitText(fmt.Sprintf("load %d", loads.Load()), 5*time.Second)
	b.Screenshot(filepath.Join(t.TempDir(), "page.png"))
}
