package chaos

import (
	"maps"
	"testing"
	"time"

	"github.com/herald-chatops/herald/node/clustertest"
)

func TestFields(t *testing.T) {
	tests := []struct {
		name, line string
		want       map[string]string
	}{
		{"plain", `time=2026-12-04T15:39:41.030Z level=INFO msg=x node=n1`,
			map[string]string{"time": "2026-12-04T15:39:41.030Z", "level": "INFO", "msg": "x",
				"node": "n1"}},
		{"quoted", `msg="master term ended" reason="a \"b\" c" term=3`,
			map[string]string{"msg": "master term ended", "reason": `a "b" c`, "term": "3"}},
		{"empty value", `msg=x err= node=n2`,
			map[string]string{"msg": "x", "err": "", "node": "n2"}},
		{"not key=value", `panic: runtime error`, map[string]string{}},
		{"unterminated quote", `msg="open node=n1`, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fields(tt.line); !maps.Equal(got, tt.want) {
				t.Fatalf("Fields(%q) = %v, want %v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseLogs(t *testing.T) {
	read := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	lines := []clustertest.LogLine{
		{Node: "n1", Time: read, Text: `time=2026-12-04T15:39:41.030Z level=INFO ` +
			`msg="master term started" node=n1 term=4 reason=won`},
		{Node: "n1", Time: read, Text: `level=DEBUG msg="action performed" node=n1 ` +
			`msg_id=abc/0 kind=reply term=4`},
		{Node: "n2", Time: read, Text: `time=2026-12-04T15:39:43.5Z level=INFO ` +
			`msg="master term ended" node=n2 term=3 reason=lock_lost`},
		{Node: "n3", Time: read, Text: `panic: boom`},
		{Node: "n3", Time: read, Text: `level=DEBUG msg="lease renewed" node=n3 term=5`},
	}
	got := ParseLogs(lines)
	if len(got.Terms) != 2 || len(got.Actions) != 1 || len(got.Panics) != 1 {
		t.Fatalf("ParseLogs = %+v", got)
	}
	start := got.Terms[0]
	if !start.Started || start.Node != "n1" || start.Term != 4 ||
		!start.At.Equal(time.Date(2026, 12, 4, 15, 39, 41, 30e6, time.UTC)) {
		t.Errorf("start %+v", start)
	}
	if end := got.Terms[1]; end.Started || end.Reason != "lock_lost" || end.Term != 3 {
		t.Errorf("end %+v", end)
	}
	if a := got.Actions[0]; a.MsgID != "abc/0" || a.Term != 4 || !a.At.Equal(read) {
		t.Errorf("action %+v: want the read time for a line without time=", a)
	}
}
