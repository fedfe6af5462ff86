// Package irc is Herald's IRC adapter and the line parser it stands on.
//
// The parser (ParseLine, Message.String) reads RFC 1459/2812 lines with
// IRCv3 message tags. It refuses what could change a line's meaning (NUL,
// CR or LF inside a line, a missing command, a line over the limits) and
// is lenient about the rest, and encoding a parsed line gives a line that
// parses to the same message.
//
// The Adapter keeps one connection to one server and promises:
//
//   - No text becomes a command: CR, LF and NUL in an action never start
//     a new line on the wire, and every target is checked before use.
//   - Every line written, the adapter's own included, passes one token
//     bucket (chat.irc.rate, chat.irc.burst), so the server has no cause
//     to disconnect the bot for flooding.
//   - Every line sent fits chat.irc.max_line bytes with its CR LF; long
//     text is split at spaces where possible and never inside a UTF-8
//     character.
//   - A nick still held by a dead connection (a crashed master's) is
//     worked around with chat.irc.alt_nick and taken back as soon as the
//     holder leaves, and at the latest a few seconds later.
//   - Lost connections are redialled with capped exponential backoff, and
//     the rooms joined are joined again.
//
// What it does not promise: that an action is sent exactly once. When the
// connection drops in the middle of a multi-line action, Perform returns
// an error after some lines went out, and a retry repeats them. Nor does
// it confirm delivery: IRC has no acknowledgement for PRIVMSG.
package irc
