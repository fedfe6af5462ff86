package github

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// jsonCases are bodies where a validator can go wrong.
var jsonCases = []string{
	`{}`, ` { } `, "\t{\"a\":1}\r\n", `{"a":[1,2,{"b":null}],"c":"\u00e9\n"}`,
	`{"a":-0.5e+10,"b":0,"c":1E3,"d":[true,false,null],"e":{}}`, `{"a":"\ud800"}`,
	`{"a":"` + "\xff\xfe" + `"}`, `{"":[[],[[]],{}]}`,
	``, ` `, `[]`, `"a"`, `1`, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a" 1}`,
	`{"a":1}{}`, `{"a":1} x`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`,
	`{"a":+1}`, `{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`, `{"a":"\u12g4"}`, `{"a":"\u12"}`,
	"{\"a\":\"\x01\"}", `{"a":"b}`, `{"a":[1 2]}`, `{"a":[1,]}`, `{"a":]}`, `{1:2}`,
	`{"a":[}`, `{"a":{]}`, `{"a":1]`, "{\"a\":1}\x00", `{"a":"\"}`, `{"a":"\\"}`,
}

func TestJSONObjectAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		b := []byte(c)
		want := json.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
		if got := jsonObject(b); got != want {
			t.Errorf("jsonObject(%q) = %v, want %v", c, got, want)
		}
	}
}

func TestJSONObjectDepth(t *testing.T) {
	for _, depth := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
		b := []byte(`{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}")
		if got, want := jsonObject(b), json.Valid(b); got != want {
			t.Errorf("depth %d: jsonObject = %v, json.Valid = %v", depth, got, want)
		}
	}
}

func TestJSONObjectPayloads(t *testing.T) {
	for _, name := range []string{"push.new-branch.json", "workflow_run.completed.json"} {
		if !jsonObject(readPayload(t, name)) {
			t.Errorf("%s refused", name)
		}
	}
}

// FuzzJSONObject checks jsonObject against encoding/json.
func FuzzJSONObject(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Add(readPayload(f, "issue_comment.created.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := json.Valid(b) && bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{"))
		if got := jsonObject(b); got != want {
			t.Fatalf("jsonObject(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

func BenchmarkJSONObject(b *testing.B) {
	body := readPayload(b, "push.new-branch.json")
	b.SetBytes(int64(len(body)))
	b.Run("herald", func(b *testing.B) {
		for b.Loop() {
			jsonObject(body)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			json.Valid(body)
		}
	})
}
