package irc

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseLine checks that ParseLine never panics and that encoding a
// parsed message and parsing it again gives the same message.
func FuzzParseLine(f *testing.F) {
	seeds := []string{
		"PING :irc.test",
		":irc.test 001 herald :Welcome to the network",
		":alice!al@example.org PRIVMSG #ops :herald: deploy now\r\n",
		"@msgid=x1;time=2024-01-02T03:04:05Z :a!b@c PRIVMSG herald :\x01VERSION\x01",
		`@k=\:\s\\\r\n\q\ CMD a b :c d`,
		"  :srv   JOIN    #a   ",
		":n NICK :new",
		"CAP * LS * :multi-prefix server-time",
		"@; CMD",
		"PRIVMSG #a ::)",
		": PING",
		"PRIVMSG #a :a\rb",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := ParseLine(line)
		if err != nil {
			return
		}
		enc := m.String()
		if strings.ContainsAny(enc, "\r\n\x00") {
			t.Fatalf("String() of %q holds a line break or NUL: %q", line, enc)
		}
		again, err := ParseLine(enc)
		if err != nil {
			t.Fatalf("ParseLine(%q) ok, but its encoding %q fails: %v", line, enc, err)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip of %q via %q:\n got %#v\nwant %#v", line, enc, again, m)
		}
	})
}

// FuzzSplitPayload checks that a payload is cut into pieces within the
// budget, never inside a UTF-8 sequence, and that nothing but the spaces
// at the cuts is lost.
func FuzzSplitPayload(f *testing.F) {
	f.Add("hello world, this is a long line", 10)
	f.Add("äöü €€€ 𝄞𝄞𝄞 日本語のテキスト", 7)
	f.Add(strings.Repeat("x", 100), 16)
	f.Add("a b  c   d", 4)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 4 || n > 600 || !utf8.ValidString(s) {
			return
		}
		pieces := splitPayload(s, n)
		for _, p := range pieces {
			if len(p) > n || p == "" || !utf8.ValidString(p) {
				t.Fatalf("splitPayload(%q, %d) gave bad piece %q", s, n, p)
			}
		}
		strip := func(x string) string { return strings.ReplaceAll(x, " ", "") }
		if got := strings.Join(pieces, ""); strip(got) != strip(s) {
			t.Fatalf("splitPayload(%q, %d) lost text: %q", s, n, pieces)
		}
	})
}
