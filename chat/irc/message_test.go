package irc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Message
		err  error
	}{
		{
			name: "command only",
			line: "PING",
			want: Message{Command: "PING"},
		},
		{
			name: "lower case command with CRLF",
			line: "ping :abc\r\n",
			want: Message{Command: "PING", Params: []string{"abc"}},
		},
		{
			name: "privmsg with prefix and trailing",
			line: ":alice!al@example.org PRIVMSG #ops :herald: deploy now",
			want: Message{Source: "alice!al@example.org", Command: "PRIVMSG",
				Params: []string{"#ops", "herald: deploy now"}},
		},
		{
			name: "numeric with middle params",
			line: ":irc.test 433 * herald :Nickname already in use",
			want: Message{Source: "irc.test", Command: "433",
				Params: []string{"*", "herald", "Nickname already in use"}},
		},
		{
			name: "empty trailing",
			line: "TOPIC #ops :",
			want: Message{Command: "TOPIC", Params: []string{"#ops", ""}},
		},
		{
			name: "trailing keeps colons and spaces",
			line: "PRIVMSG #a ::) hi  there ",
			want: Message{Command: "PRIVMSG", Params: []string{"#a", ":) hi  there "}},
		},
		{
			name: "runs of spaces",
			line: "  :srv   JOIN    #a   ",
			want: Message{Source: "srv", Command: "JOIN", Params: []string{"#a"}},
		},
		{
			name: "tags with escapes",
			line: `@msgid=abc;time=2024-01-02T03:04:05.000Z;x=a\sb\:c\\d\n;flag ` +
				`:n!u@h PRIVMSG #a :hi`,
			want: Message{
				Tags: map[string]string{"msgid": "abc", "time": "2024-01-02T03:04:05.000Z",
					"x": "a b;c\\d\n", "flag": ""},
				Source: "n!u@h", Command: "PRIVMSG", Params: []string{"#a", "hi"},
			},
		},
		{
			name: "unknown escape and trailing backslash dropped",
			line: `@a=\q\;b=x\ CMD`,
			want: Message{Tags: map[string]string{"a": "q", "b": "x"}, Command: "CMD"},
		},
		{
			name: "empty tags section",
			line: "@; CMD x",
			want: Message{Command: "CMD", Params: []string{"x"}},
		},
		{name: "empty", line: "", err: ErrEmptyLine},
		{name: "only spaces and CRLF", line: "   \r\n", err: ErrEmptyLine},
		{name: "prefix without command", line: ":irc.test", err: ErrNoCommand},
		{name: "tags without command", line: "@a=b", err: ErrNoCommand},
		{name: "command with punctuation", line: "PRIV-MSG x", err: ErrNoCommand},
		{name: "empty prefix", line: ": PING", err: ErrEmptyPrefix},
		{name: "NUL byte", line: "PRIVMSG #a :a\x00b", err: ErrNUL},
		{name: "CR inside", line: "PRIVMSG #a :a\rQUIT", err: ErrLineBreak},
		{name: "LF inside", line: "PRIVMSG #a :a\nQUIT\r\n", err: ErrLineBreak},
		{name: "message over 512", line: "PRIVMSG #a :" + strings.Repeat("x", 499),
			err: ErrLineTooLong},
		{name: "tags over 8191", line: "@a=" + strings.Repeat("x", 8188) + " PING",
			err: ErrTagsTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine(tt.line)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseLine(%q) error = %v, want %v", tt.line, err, tt.err)
			}
			if tt.err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseLine(%q)\n got %#v\nwant %#v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseLineLimits(t *testing.T) {
	tests := []struct {
		name string
		line string
		err  error
	}{
		{name: "510 bytes is the most", line: "PRIVMSG #a :" + strings.Repeat("x", 498)},
		{name: "with CRLF still fits", line: "PRIVMSG #a :" + strings.Repeat("x", 498) + "\r\n"},
		{name: "tags do not count against 512",
			line: "@a=" + strings.Repeat("y", 4000) + " PRIVMSG #a :" + strings.Repeat("x", 498)},
		{name: "8191 tag bytes is the most", line: "@a=" + strings.Repeat("x", 8187) + " PING"},
		{name: "one more is too many", line: "PRIVMSG #a :" + strings.Repeat("x", 499),
			err: ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseLine(tt.line); !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestMessageString(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{name: "plain", msg: Message{Command: "JOIN", Params: []string{"#a"}}, want: "JOIN #a"},
		{name: "trailing with space",
			msg:  Message{Command: "PRIVMSG", Params: []string{"#a", "hi there"}},
			want: "PRIVMSG #a :hi there"},
		{name: "trailing starting with colon",
			msg:  Message{Command: "PRIVMSG", Params: []string{"#a", ":)"}},
			want: "PRIVMSG #a ::)"},
		{name: "empty trailing", msg: Message{Command: "TOPIC", Params: []string{"#a", ""}},
			want: "TOPIC #a :"},
		{name: "line breaks removed",
			msg:  Message{Command: "PRIVMSG", Params: []string{"#a", "x\r\nQUIT :bye\x00"}},
			want: "PRIVMSG #a :xQUIT :bye"},
		{name: "tags sorted and escaped",
			msg: Message{Tags: map[string]string{"b": "1 2;3", "a": ""}, Source: "s",
				Command: "X"},
			want: `@a;b=1\s2\:3 :s X`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.msg.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSplitPrefix(t *testing.T) {
	tests := []struct {
		name, src, nick, user, host string
	}{
		{name: "full", src: "alice!al@example.org", nick: "alice", user: "al",
			host: "example.org"},
		{name: "server", src: "irc.test", nick: "irc.test"},
		{name: "nick and host", src: "bob@10.0.0.1", nick: "bob", host: "10.0.0.1"},
		{name: "empty", src: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, u, h := SplitPrefix(tt.src)
			if n != tt.nick || u != tt.user || h != tt.host {
				t.Fatalf("SplitPrefix(%q) = %q %q %q", tt.src, n, u, h)
			}
		})
	}
}
