package irc

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config holds the IRC adapter settings, under the YAML key `chat.irc`.
type Config struct {
	// Server is the server's HOST:PORT. Required.
	Server string `koanf:"server"`
	// Nick is the bot's nick. Required.
	Nick string `koanf:"nick"`
	// User is the user name sent at registration. Default "herald".
	User string `koanf:"user"`
	// Realname is the real name sent at registration. Default "Herald".
	Realname string `koanf:"realname"`
	// Channels are joined after connecting, each starting with # or &.
	Channels []string `koanf:"channels"`
	// Password is the server password (PASS). It is never logged.
	Password string `koanf:"password"`
	// TLS dials the server with TLS. Default false.
	TLS bool `koanf:"tls"`
	// TLSSkipVerify accepts any server certificate. Default false.
	TLSSkipVerify bool `koanf:"tls_skip_verify"`
	// AltNick is used while Nick is taken, followed by AltNick1, AltNick2
	// and so on. Default "" which means Nick followed by "_".
	AltNick string `koanf:"alt_nick"`
	// Rate is how many lines per second are sent, sustained. Default 2.
	Rate float64 `koanf:"rate"`
	// Burst is how many lines may go out at once after a quiet spell.
	// Default 5.
	Burst int `koanf:"burst"`
	// MaxLine is the longest line sent, in bytes with its CR LF. It is
	// below the protocol's 512 to leave room for the prefix the server
	// adds when relaying. Default 400.
	MaxLine int `koanf:"max_line"`
	// PingInterval is how often the bot pings the server; a PING not
	// answered within it marks the connection dead. It also bounds
	// registration. Default 30s.
	PingInterval time.Duration `koanf:"ping_interval"`
	// ReconnectMax caps the backoff between connection attempts.
	// Default 30s.
	ReconnectMax time.Duration `koanf:"reconnect_max"`
}

// Limits checked by Validate.
const (
	maxNickLen   = 30
	minMaxLine   = 100
	maxChanLen   = 50
	minPingEvery = time.Second
	minReconnect = 100 * time.Millisecond
)

// DefaultConfig returns the documented defaults. Server and Nick have
// none and must be set.
func DefaultConfig() Config {
	return Config{
		User:         "herald",
		Realname:     "Herald",
		Rate:         2,
		Burst:        5,
		MaxLine:      400,
		PingInterval: 30 * time.Second,
		ReconnectMax: 30 * time.Second,
	}
}

// altNick returns the alternative nick, applying its default.
func (c Config) altNick() string {
	if c.AltNick == "" {
		return c.Nick + "_"
	}
	return c.AltNick
}

// Validate refuses settings that cannot work, naming the YAML key.
func (c Config) Validate() error {
	if err := c.validateIdentity(); err != nil {
		return err
	}
	for i, ch := range c.Channels {
		if err := checkChannel(ch); err != nil {
			return fmt.Errorf("chat.irc.channels[%d] (%q) %v", i, ch, err)
		}
	}
	return c.validateLimits()
}

func (c Config) validateIdentity() error {
	switch {
	case c.Server == "":
		return fmt.Errorf("chat.irc.server is required (HOST:PORT)")
	case !validHostPort(c.Server):
		return fmt.Errorf("chat.irc.server (%q) must be HOST:PORT", c.Server)
	case c.Nick == "":
		return fmt.Errorf("chat.irc.nick is required")
	case !ValidNick(c.Nick):
		return fmt.Errorf("chat.irc.nick (%q) is not a valid IRC nick", c.Nick)
	case c.AltNick != "" && !ValidNick(c.AltNick):
		return fmt.Errorf("chat.irc.alt_nick (%q) is not a valid IRC nick", c.AltNick)
	case strings.EqualFold(c.altNick(), c.Nick):
		return fmt.Errorf("chat.irc.alt_nick (%q) must differ from chat.irc.nick", c.AltNick)
	case c.User == "" || strings.ContainsAny(c.User, " @\r\n\x00"):
		return fmt.Errorf("chat.irc.user (%q) must be one word without @", c.User)
	case strings.ContainsAny(c.Realname, "\r\n\x00"):
		return fmt.Errorf("chat.irc.realname must not hold line breaks or NUL")
	case strings.ContainsAny(c.Password, "\r\n\x00"):
		return fmt.Errorf("chat.irc.password must not hold line breaks or NUL")
	}
	return nil
}

func (c Config) validateLimits() error {
	switch {
	case c.Rate <= 0:
		return fmt.Errorf("chat.irc.rate (%v) must be positive", c.Rate)
	case c.Burst < 1:
		return fmt.Errorf("chat.irc.burst (%d) must be at least 1", c.Burst)
	case c.MaxLine < minMaxLine || c.MaxLine > MaxLineBytes:
		return fmt.Errorf("chat.irc.max_line (%d) must be between %d and %d",
			c.MaxLine, minMaxLine, MaxLineBytes)
	case c.PingInterval < minPingEvery:
		return fmt.Errorf("chat.irc.ping_interval (%v) must be at least %v",
			c.PingInterval, minPingEvery)
	case c.ReconnectMax < minReconnect:
		return fmt.Errorf("chat.irc.reconnect_max (%v) must be at least %v",
			c.ReconnectMax, minReconnect)
	}
	return nil
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

// checkChannel says what is wrong with a channel name, or nil.
func checkChannel(ch string) error {
	switch {
	case ch == "" || (ch[0] != '#' && ch[0] != '&'):
		return fmt.Errorf("must start with # or &")
	case len(ch) > maxChanLen:
		return fmt.Errorf("is longer than %d bytes", maxChanLen)
	case strings.ContainsAny(ch, " ,\a\r\n\x00"):
		return fmt.Errorf("must not hold a space, a comma or a control character")
	}
	return nil
}

// ValidNick reports whether s is a nick as RFC 2812 defines it (a letter
// or one of []\`_^{|} first, then also digits and '-'), at most 30 bytes.
// Servers may allow fewer bytes than that.
func ValidNick(s string) bool {
	if s == "" || len(s) > maxNickLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', strings.IndexByte("[]\\`_^{|}", c) >= 0:
		case i > 0 && (c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}
