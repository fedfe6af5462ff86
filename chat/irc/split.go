package irc

import (
	"strings"
	"unicode/utf8"
)

// breakLines turns the lines of an action into text lines: CR LF, CR and
// LF inside a line break it in two (so no text can start a new IRC
// command), NUL bytes are dropped, and empty lines are left out because
// IRC cannot send them.
func breakLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		l = quiet.Replace(l)
		l = strings.ReplaceAll(l, "\r\n", "\n")
		out = append(out, strings.FieldsFunc(l, isLineBreak)...)
	}
	return out
}

// quiet drops what a reply must not carry: NUL, which ends a line for
// some servers, the CTCP delimiter, which would turn text a user typed
// into a CTCP request from the bot, and the bell.
var quiet = strings.NewReplacer("\x00", "", "\x01", "", "\x07", "")

func isLineBreak(r rune) bool { return r == '\r' || r == '\n' }

// splitPayload cuts s into pieces of at most n bytes (n >= 4). It cuts at
// the last space that keeps at least half the budget, dropping that
// space, and otherwise at the last UTF-8 character boundary, so a
// character is never split.
func splitPayload(s string, n int) []string {
	var pieces []string
	for len(s) > n {
		cut := runeBoundary(s, n)
		if sp := strings.LastIndexByte(s[:cut+1], ' '); sp > 0 && sp >= cut/2 {
			pieces = append(pieces, s[:sp])
			s = s[sp+1:]
			continue
		}
		pieces = append(pieces, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		pieces = append(pieces, s)
	}
	return pieces
}

// runeBoundary returns the largest i <= n (len(s) > n) where a UTF-8
// character starts. Invalid text with no start byte in reach is cut at n.
func runeBoundary(s string, n int) int {
	for i := n; i > 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return i
		}
	}
	return n
}

// truncate shortens s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:runeBoundary(s, n)]
}

// flatten makes a one-line text from s for a topic or a part reason: line
// breaks become spaces and NUL bytes are dropped.
func flatten(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", " ")
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
