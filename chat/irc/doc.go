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
//   - Every line Perform sends fits chat.irc.max_line bytes with its CR LF; long
//     text is split at spaces where possible and never inside a UTF-8
//     character.
//   - A nick still held by a dead connection (a crashed master's) is
//     worked around with chat.irc.alt_nick and taken back at once when
//     the bot sees the holder quit or change nick (they share a channel),
//     and otherwise by an attempt every few seconds. Messages that name
//     either nick count as addressed to the bot.
//   - The bot pings the server every chat.irc.ping_interval; a PING
//     unanswered by the next one marks the connection dead. It is
//     redialled with capped exponential
//     backoff with jitter; the rooms joined are joined again.
//   - IRCv3 message-tags and server-time are requested when offered, so a
//     message keeps the server's msgid (for deduplication) and time.
//
// What it does not promise: that an action is sent exactly once. When the
// connection drops in the middle of a multi-line action, Perform returns
// an error after some lines went out, and a retry repeats them. Nor does
// it confirm delivery: IRC has no acknowledgement for PRIVMSG.
package irc
