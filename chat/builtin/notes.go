package builtin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/store"
)

// NotesHandler is the store namespace of the notes commands.
const NotesHandler = "notes"

// maxNote is the longest note kept, in bytes.
const maxNote = 2000

// RegisterNotes adds the notes commands, which show the shared store: a
// note written through one node is read back through any other, and after
// a failover of the master.
//
//	note KEY TEXT   keeps TEXT under KEY
//	note KEY        says the note under KEY
//	notes [PREFIX]  lists the keys (starting with PREFIX)
//	forget KEY      deletes the note under KEY
func RegisterNotes(k *handler.Kit) error {
	n := notes{k.Scope(NotesHandler)}
	routes := []chat.Route{
		{Name: "note-set", Pattern: `(?is)^note\s+(\S+)\s+(.+)$`, Addressed: true,
			Help: "note KEY TEXT - keeps TEXT under KEY for everyone", Handler: n.set},
		{Name: "note-get", Pattern: `(?i)^note\s+(\S+)\s*$`, Addressed: true,
			Help: "note KEY - says the note under KEY", Handler: n.get},
		{Name: "notes", Pattern: `(?i)^notes(?:\s+(\S+))?\s*$`, Addressed: true,
			Help: "notes [PREFIX] - lists the notes' keys", Handler: n.list},
		{Name: "note-forget", Pattern: `(?i)^forget\s+(\S+)\s*$`, Addressed: true,
			Help: "forget KEY - deletes the note under KEY", Handler: n.forget},
	}
	for _, rt := range routes {
		if err := k.Route(rt); err != nil {
			return err
		}
	}
	return nil
}

type notes struct{ s store.Scope }

func (n notes) set(ctx context.Context, req *chat.Request) error {
	key, text := req.Match[1], strings.TrimSpace(req.Match[2])
	if len(text) > maxNote || len(key) > store.MaxKeyLen {
		req.Reply(fmt.Sprintf("too long: a key holds %d bytes and a note %d", store.MaxKeyLen,
			maxNote))
		return nil
	}
	if err := n.s.Set(ctx, key, text, 0); err != nil {
		return err
	}
	req.Reply("noted " + key)
	return nil
}

func (n notes) get(ctx context.Context, req *chat.Request) error {
	key := req.Match[1]
	text, err := n.s.Get(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		req.Reply("no note " + key)
		return nil
	case err != nil:
		return err
	}
	req.Reply(key + ": " + text)
	return nil
}

func (n notes) list(ctx context.Context, req *chat.Request) error {
	keys, err := n.s.Keys(ctx, req.Match[1])
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		req.Reply("no notes")
		return nil
	}
	req.Reply("notes: " + strings.Join(keys, ", "))
	return nil
}

func (n notes) forget(ctx context.Context, req *chat.Request) error {
	key := req.Match[1]
	if _, err := n.s.Get(ctx, key); errors.Is(err, store.ErrNotFound) ||
		errors.Is(err, store.ErrInvalid) {
		req.Reply("no note " + key)
		return nil
	}
	if err := n.s.Delete(ctx, key); err != nil {
		return err
	}
	req.Reply("forgot " + key)
	return nil
}
