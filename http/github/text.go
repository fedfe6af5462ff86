package github

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// How many characters of outside text a line keeps.
const (
	maxName  = 40
	maxRef   = 60
	maxTitle = 100
	maxURL   = 300
)

// clean makes outside text safe for one chat line: invalid UTF-8 is
// replaced, control characters and line breaks become spaces, bidi
// overrides are dropped, runs of space collapse, and the result is cut to
// max characters with an ellipsis.
func clean(s string, max int) string {
	var b strings.Builder
	b.Grow(min(len(s), 4*max))
	n, space := 0, false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case isBidi(r):
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			space = b.Len() > 0
			continue
		}
		if n+btoi(space) >= max {
			b.WriteString("…")
			return b.String()
		}
		if space {
			b.WriteByte(' ')
			n, space = n+1, false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isBidi reports the invisible characters that reorder text on screen,
// which could make a line read other than it is.
func isBidi(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// title is the first line of a message, such as a commit's subject.
func title(msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	return clean(first, maxTitle)
}

// shortSHA is the first seven characters of a commit id.
func shortSHA(sha string) string {
	sha = clean(sha, 40)
	if len(sha) > 7 && utf8.ValidString(sha[:7]) {
		return sha[:7]
	}
	return sha
}

// link returns u when it is a web address, else "", so that a line never
// carries a pseudo-link of another scheme.
func link(u string) string {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return ""
	}
	return clean(u, maxURL)
}

// plural is "1 commit", "3 commits".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// line is "[repo] what: detail url", leaving out what is empty; with no
// detail it is "[repo] what: url".
func line(repo, what, detail, url string) string {
	var b strings.Builder
	if repo != "" {
		b.WriteString("[" + repo + "] ")
	}
	b.WriteString(what)
	switch {
	case detail != "" && url != "":
		b.WriteString(": " + detail + " " + url)
	case detail != "":
		b.WriteString(": " + detail)
	case url != "":
		b.WriteString(": " + url)
	}
	return b.String()
}
