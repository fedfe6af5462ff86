package irc

import "strings"

// parseTags reads an IRCv3 tags section without its '@'. Tags with an
// empty key are skipped; a later tag overrides an earlier one of the same
// key. It returns nil when no tag is left.
func parseTags(raw string) map[string]string {
	var tags map[string]string
	for _, part := range strings.Split(raw, ";") {
		key, val, _ := strings.Cut(part, "=")
		if key == "" {
			continue
		}
		if tags == nil {
			tags = make(map[string]string)
		}
		tags[key] = unescapeTag(val)
	}
	return tags
}

// unescapeTag reverses the IRCv3 tag value escaping. A backslash before
// any other character is dropped, and so is a lone trailing backslash.
func unescapeTag(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(v) {
			break
		}
		switch v[i] {
		case ':':
			b.WriteByte(';')
		case 's':
			b.WriteByte(' ')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// tagEscaper escapes the bytes a tag value cannot hold raw.
var tagEscaper = strings.NewReplacer(
	`\`, `\\`, ";", `\:`, " ", `\s`, "\r", `\r`, "\n", `\n`, "\x00", "",
)

// writeTags writes tags as key=value pairs in key order, without the '@'.
// Keys that could break the line (holding '=', ';', a space or a control
// byte) are skipped.
func writeTags(b *strings.Builder, tags map[string]string) {
	first := true
	for _, k := range sortedKeys(tags) {
		if k == "" || strings.ContainsAny(k, "=; \r\n\x00") {
			continue
		}
		if !first {
			b.WriteByte(';')
		}
		first = false
		b.WriteString(k)
		if v := tags[k]; v != "" {
			b.WriteByte('=')
			b.WriteString(tagEscaper.Replace(v))
		}
	}
}
