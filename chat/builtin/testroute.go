package builtin

import (
	"context"
	"strings"

	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/webroute"
)

// RegisterTestRoute adds POST /handlers/test/say, which says the request
// body (one line, at most 400 bytes) in room. It exists so that cluster
// tests can show a handler's HTTP route working on every node. Do not
// enable it on a real bot.
func RegisterTestRoute(k *handler.Kit, room string) error {
	return k.Handle("test", "POST", "/say", func(_ context.Context,
		req *webroute.Request) (webroute.Response, error) {
		line := strings.TrimSpace(string(req.Body))
		if line == "" || len(line) > 400 || strings.ContainsAny(line, "\r\n") {
			return webroute.Response{}, &webroute.StatusError{Status: 400,
				Msg: "the body must be one line of at most 400 bytes"}
		}
		req.Send(room, line)
		return webroute.Text(202, "queued\n"), nil
	})
}
