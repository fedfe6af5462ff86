package external

import (
	"mime"
	"strings"
	"testing"
)

// FuzzAnswerLines feeds endpoint answers of both types to the parser: it
// never panics, and a text answer's lines never hold a line break.
func FuzzAnswerLines(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/json", `{"lines": ["a", "b"]}`},
		{"application/json; charset=utf-8", `{"lines": null}`},
		{"application/json", `[1, 2]`},
		{"text/plain", "one\r\ntwo\n\n"},
		{"", ""},
		{"text/html; x=\"", "<p>hi</p>"},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		ls, err := answerLines(ct, body)
		if err != nil {
			return
		}
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			for _, l := range ls {
				if strings.Contains(l, "\n") {
					t.Fatalf("line %q holds a line break", l)
				}
			}
		}
	})
}
