package github

// maxDepth is how deeply arrays and objects may nest, the limit that
// encoding/json applies too.
const maxDepth = 10000

// jsonObject reports whether body is one JSON object, with white space
// around it allowed. It follows the rules of encoding/json.Valid (which
// FuzzJSONObject checks it against) at a few times its speed: the check
// runs on every delivery, before the job is pushed, and was the largest
// cost of intake.
func jsonObject(body []byte) bool {
	v := validator{b: body, stack: make([]byte, 0, 32)}
	v.space()
	if v.i >= len(v.b) || v.b[v.i] != '{' {
		return false
	}
	if !v.run() {
		return false
	}
	v.space()
	return v.i == len(v.b)
}

// validator walks one JSON value without recursion; stack holds the
// opening bracket of each array and object it is inside.
type validator struct {
	b     []byte
	i     int
	stack []byte
}

// step is what value found.
type step int

const (
	failed step = iota // not JSON
	opened             // an array or object began; its members follow
	closed             // a whole value was read
)

// run reads one value, however deeply nested.
func (v *validator) run() bool {
	for {
		switch v.value() {
		case failed:
			return false
		case opened:
			if v.stack[len(v.stack)-1] == '{' && !v.key() {
				return false
			}
			continue
		}
		more, ok := v.next()
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// next follows a complete value: it closes the arrays and objects that
// end here, and reports whether another member follows (after its comma
// and, in an object, its key).
func (v *validator) next() (more, ok bool) {
	for len(v.stack) > 0 {
		v.space()
		if v.i >= len(v.b) {
			return false, false
		}
		c, top := v.b[v.i], v.stack[len(v.stack)-1]
		v.i++
		if c == ',' {
			return true, top != '{' || v.key()
		}
		if c != top+2 { // '[' + 2 is ']' and '{' + 2 is '}'
			return false, false
		}
		v.stack = v.stack[:len(v.stack)-1]
	}
	return false, true
}

// value reads a scalar or an empty container whole, or opens a container.
func (v *validator) value() step {
	v.space()
	if v.i >= len(v.b) {
		return failed
	}
	switch c := v.b[v.i]; c {
	case '{', '[':
		if len(v.stack) >= maxDepth {
			return failed
		}
		v.i++
		v.space()
		if v.i < len(v.b) && v.b[v.i] == c+2 {
			v.i++
			return closed
		}
		v.stack = append(v.stack, c)
		return opened
	case '"':
		return result(v.str())
	case 't':
		return result(v.word("true"))
	case 'f':
		return result(v.word("false"))
	case 'n':
		return result(v.word("null"))
	}
	return result(v.number())
}

// result turns a scalar's check into a step.
func result(ok bool) step {
	if ok {
		return closed
	}
	return failed
}

// key reads an object key and its colon.
func (v *validator) key() bool {
	v.space()
	if v.i >= len(v.b) || v.b[v.i] != '"' || !v.str() {
		return false
	}
	v.space()
	if v.i >= len(v.b) || v.b[v.i] != ':' {
		return false
	}
	v.i++
	return true
}

// space skips white space as JSON defines it.
func (v *validator) space() {
	for v.i < len(v.b) {
		switch v.b[v.i] {
		case ' ', '\t', '\n', '\r':
			v.i++
		default:
			return
		}
	}
}

// word reads a literal such as true.
func (v *validator) word(w string) bool {
	if len(v.b)-v.i < len(w) || string(v.b[v.i:v.i+len(w)]) != w {
		return false
	}
	v.i += len(w)
	return true
}

// str reads a string from its opening quote. Like encoding/json it does
// not check UTF-8: decoding replaces bad bytes later.
func (v *validator) str() bool {
	v.i++
	for v.i < len(v.b) {
		c := v.b[v.i]
		v.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\' && !v.escape():
			return false
		}
	}
	return false
}

// escape reads what follows a backslash in a string.
func (v *validator) escape() bool {
	if v.i >= len(v.b) {
		return false
	}
	c := v.b[v.i]
	v.i++
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if len(v.b)-v.i < 4 {
			return false
		}
		for _, h := range v.b[v.i : v.i+4] {
			if !isHex(h) {
				return false
			}
		}
		v.i += 4
		return true
	}
	return false
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (v *validator) number() bool {
	if v.i < len(v.b) && v.b[v.i] == '-' {
		v.i++
	}
	switch {
	case v.i < len(v.b) && v.b[v.i] == '0':
		v.i++
	case !v.digits():
		return false
	}
	if v.i < len(v.b) && v.b[v.i] == '.' {
		v.i++
		if !v.digits() {
			return false
		}
	}
	if v.i < len(v.b) && (v.b[v.i] == 'e' || v.b[v.i] == 'E') {
		v.i++
		if v.i < len(v.b) && (v.b[v.i] == '+' || v.b[v.i] == '-') {
			v.i++
		}
		return v.digits()
	}
	return true
}

// digits reads one or more decimal digits.
func (v *validator) digits() bool {
	start := v.i
	for v.i < len(v.b) && v.b[v.i] >= '0' && v.b[v.i] <= '9' {
		v.i++
	}
	return v.i > start
}

// isHex reports a hexadecimal digit.
func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
