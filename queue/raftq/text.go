package raftq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// text is a string that keeps every byte through JSON. encoding/json
// replaces bytes that are not UTF-8, which would change a stored key or
// value between the caller and the state machine; so valid UTF-8 is
// written as a plain JSON string, readable by other tools, and anything
// else as {"b64":"..."}.
type text string

// textB64 is the form of a text that is not UTF-8.
type textB64 struct {
	B64 []byte `json:"b64"`
}

// MarshalJSON writes t as a JSON string, or as {"b64":...} when it is
// not UTF-8.
func (t text) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(t)) {
		return json.Marshal(string(t))
	}
	return json.Marshal(textB64{B64: []byte(t)})
}

// UnmarshalJSON reads either form MarshalJSON writes.
func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var w textB64
		if err := json.Unmarshal(b, &w); err != nil {
			return err
		}
		*t = text(w.B64)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("text: %w", err)
	}
	*t = text(s)
	return nil
}
