package irc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Limits of the wire format. A line is its tags section (IRCv3) followed by
// the message proper; each has its own limit.
const (
	// MaxLineBytes is the longest message proper, CR LF included
	// (RFC 1459 section 2.3).
	MaxLineBytes = 512
	// MaxTagBytes is the longest tags section, its leading '@' and
	// trailing space included (IRCv3 message-tags).
	MaxTagBytes = 8191
)

// Errors returned by ParseLine, wrapped with the operation as prefix.
var (
	// ErrEmptyLine is returned for a line with nothing but spaces in it.
	ErrEmptyLine = errors.New("empty line")
	// ErrNoCommand is returned for a line with tags or a prefix and no
	// command, or a command that is neither letters nor digits.
	ErrNoCommand = errors.New("missing or malformed command")
	// ErrLineTooLong is returned when the message proper exceeds
	// MaxLineBytes with its CR LF.
	ErrLineTooLong = errors.New("line too long")
	// ErrTagsTooLong is returned when the tags section exceeds MaxTagBytes.
	ErrTagsTooLong = errors.New("tags too long")
	// ErrNUL is returned for a line that holds a NUL byte.
	ErrNUL = errors.New("NUL byte in line")
	// ErrLineBreak is returned for a CR or LF inside the line, which would
	// make two lines of one.
	ErrLineBreak = errors.New("line break inside line")
	// ErrEmptyPrefix is returned for a ':' prefix with no name after it.
	ErrEmptyPrefix = errors.New("empty prefix")
)

// Message is one IRC protocol line taken apart.
type Message struct {
	// Tags are the IRCv3 message tags, unescaped; nil when there are none.
	// A tag sent without a value has the value "".
	Tags map[string]string
	// Source is the prefix without its ':' (a server name or
	// nick!user@host), "" when the line had none.
	Source string
	// Command is the command in upper case, or a three-digit numeric.
	Command string
	// Params are the parameters, the trailing one without its ':'.
	Params []string
}

// ParseLine takes one line apart. A single trailing CR LF (or LF) is
// allowed and removed. ParseLine is lenient where servers differ (runs of
// spaces between parameters, a lower-case command, any number of
// parameters) and strict where a mistake could change what a line means.
func ParseLine(line string) (Message, error) {
	m, err := parseLine(line)
	if err != nil {
		return Message{}, fmt.Errorf("irc: parse line: %w", err)
	}
	return m, nil
}

func parseLine(line string) (Message, error) {
	var m Message
	line = trimEOL(line)
	if strings.IndexByte(line, 0) >= 0 {
		return m, ErrNUL
	}
	if strings.ContainsAny(line, "\r\n") {
		return m, ErrLineBreak
	}
	rest := strings.TrimLeft(line, " ")
	if rest == "" {
		return m, ErrEmptyLine
	}

	// Tags come first and have their own, larger budget.
	if rest[0] == '@' {
		raw, after, _ := strings.Cut(rest, " ")
		if len(raw)+1 > MaxTagBytes {
			return m, ErrTagsTooLong
		}
		m.Tags = parseTags(raw[1:])
		rest = strings.TrimLeft(after, " ")
	}
	if len(rest)+2 > MaxLineBytes {
		return m, ErrLineTooLong
	}

	// Then the optional source prefix.
	if strings.HasPrefix(rest, ":") {
		var src string
		src, rest, _ = strings.Cut(rest[1:], " ")
		if src == "" {
			return m, ErrEmptyPrefix
		}
		m.Source = src
		rest = strings.TrimLeft(rest, " ")
	}

	// Then the command and its parameters.
	cmd, rest, _ := strings.Cut(rest, " ")
	if !validCommand(cmd) {
		return m, ErrNoCommand
	}
	m.Command = strings.ToUpper(cmd)
	m.Params = parseParams(rest)
	return m, nil
}

// trimEOL removes one line ending: CR LF, LF or CR.
func trimEOL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// validCommand reports whether c is a command word: ASCII letters or
// digits only, so that it can never be read as a prefix or tags.
func validCommand(c string) bool {
	if c == "" {
		return false
	}
	for i := 0; i < len(c); i++ {
		b := c[i]
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9') {
			return false
		}
	}
	return true
}

// parseParams splits the parameter part: words separated by spaces, and a
// trailing parameter after " :" that may hold spaces or be empty.
func parseParams(rest string) []string {
	var params []string
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return params
		}
		if rest[0] == ':' {
			return append(params, rest[1:])
		}
		var p string
		p, rest, _ = strings.Cut(rest, " ")
		params = append(params, p)
	}
}

// String encodes m as one line without CR LF. The last parameter is sent
// as a trailing parameter when it needs to be (empty, holding a space or
// starting with ':'). CR, LF and NUL are removed from every part, so the
// result is always a single line; String does not otherwise check m, so
// other parameters must be non-empty words not starting with ':', as
// ParseLine returns them.
func (m Message) String() string {
	var b strings.Builder
	if len(m.Tags) > 0 {
		b.WriteByte('@')
		writeTags(&b, m.Tags)
		b.WriteByte(' ')
	}
	if m.Source != "" {
		b.WriteByte(':')
		b.WriteString(clean(m.Source))
		b.WriteByte(' ')
	}
	b.WriteString(clean(m.Command))
	for i, p := range m.Params {
		p = clean(p)
		b.WriteByte(' ')
		last := i == len(m.Params)-1
		if last && (p == "" || strings.ContainsRune(p, ' ') || p[0] == ':') {
			b.WriteByte(':')
		}
		b.WriteString(p)
	}
	return b.String()
}

// clean removes the bytes that would end or corrupt a line.
func clean(s string) string {
	if !strings.ContainsAny(s, "\r\n\x00") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, s)
}

// Nick returns the nick part of m.Source (see SplitPrefix).
func (m Message) Nick() string {
	nick, _, _ := SplitPrefix(m.Source)
	return nick
}

// Param returns the i-th parameter, or "" when there are fewer.
func (m Message) Param(i int) string {
	if i < 0 || i >= len(m.Params) {
		return ""
	}
	return m.Params[i]
}

// SplitPrefix splits a source of the form nick!user@host. Missing parts
// are "": a server name comes back whole as nick, since the line alone
// cannot tell the two apart.
func SplitPrefix(src string) (nick, user, host string) {
	nick, host, _ = strings.Cut(src, "@")
	nick, user, _ = strings.Cut(nick, "!")
	return nick, user, host
}

// sortedKeys returns the keys of tags in a stable order for encoding.
func sortedKeys(tags map[string]string) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
