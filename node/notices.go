package node

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/queue"
)

// How notices are coalesced. The master takes all waiting notices at once
// (up to noticeBatch) whenever no answer to a person waits. Per room it
// sends the first noticeKeep as they are and one summary line for the
// rest, so that a flood of webhooks costs a room a few lines per batch and
// chat never lags hours behind.
const (
	noticeBatch = 1000
	noticeKeep  = 3
)

// maxLineBytes caps one line of an action before the adapter splits it
// for its protocol; longer lines are cut with a mark.
const maxLineBytes = 2000

// notice is one popped notification and its action.
type notice struct {
	d *queue.Delivery
	a chat.Action
}

// pumpNotices performs the notices while chat is connected, until the
// role ends: each time, all those waiting, coalesced per room.
func (n *Node) pumpNotices(ctx context.Context, r *masterRole) {
	for ctx.Err() == nil {
		if !r.waitConnected(ctx) {
			continue
		}
		batch := n.popNotices(ctx)
		rooms, byRoom := groupByRoom(batch)
		for _, room := range rooms {
			n.sendRoom(ctx, r, byRoom[room])
		}
	}
}

// popNotices takes the notices waiting now, blocking briefly for the
// first.
func (n *Node) popNotices(ctx context.Context) []notice {
	var batch []notice
	for len(batch) < noticeBatch {
		wait := time.Duration(0)
		if len(batch) == 0 {
			wait = outboundWait
		}
		d, ok := n.popAction(ctx, queue.Notices, wait)
		if !ok {
			break
		}
		if a, ok := n.decodeAction(ctx, d); ok {
			batch = append(batch, notice{d: d, a: a})
		}
	}
	return batch
}

// groupByRoom groups notices by target, rooms in order of first notice.
func groupByRoom(batch []notice) ([]string, map[string][]notice) {
	var rooms []string
	byRoom := map[string][]notice{}
	for _, nt := range batch {
		if _, seen := byRoom[nt.a.Target]; !seen {
			rooms = append(rooms, nt.a.Target)
		}
		byRoom[nt.a.Target] = append(byRoom[nt.a.Target], nt)
	}
	return rooms, byRoom
}

// sendRoom sends one room's notices: the first few as they are, then one
// summary standing for the rest. Each waits while an answer is being
// performed.
func (n *Node) sendRoom(ctx context.Context, r *masterRole, group []notice) {
	for i, nt := range group {
		r.yieldToAnswers(ctx)
		if i == noticeKeep {
			n.summarize(ctx, r, group[i:])
			return
		}
		n.send(ctx, r, []*queue.Delivery{nt.d}, n.cut(nt.a))
	}
}

// yieldToAnswers waits, briefly at a time and at most a second in all,
// while the answer pump holds an answer.
func (r *masterRole) yieldToAnswers(ctx context.Context) {
	for i := 0; i < 100 && r.answering.Load() > 0 && ctx.Err() == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// summarize sends one line counting the notices in rest, which it claims
// and settles as one.
func (n *Node) summarize(ctx context.Context, r *masterRole, rest []notice) {
	ds := make([]*queue.Delivery, len(rest))
	for i, nt := range rest {
		ds[i] = nt.d
	}
	word := "notifications"
	if len(rest) == 1 {
		word = "notification"
	}
	sum := chat.Action{ID: "summary:" + ds[0].Envelope.ID, Kind: chat.Send,
		Target: rest[0].a.Target, Notice: true,
		Lines: []string{fmt.Sprintf("... and %d more %s (coalesced: they came faster "+
			"than chat takes them)", len(rest), word)}}
	n.send(ctx, r, ds, sum)
}

// cut shortens an action that would flood a room: at most
// chat.max_lines lines, each at most maxLineBytes, with a note saying what
// was cut.
func (n *Node) cut(a chat.Action) chat.Action {
	var lines []string
	for _, l := range a.Lines {
		lines = append(lines, strings.Split(strings.ReplaceAll(l, "\r\n", "\n"), "\n")...)
	}
	for i, l := range lines {
		lines[i] = cutLine(l)
	}
	limit := n.opt.MaxLines
	if limit > 0 && len(lines) > limit {
		more := len(lines) - (limit - 1)
		lines = append(lines[:limit-1], fmt.Sprintf("... (%d more lines cut: too long "+
			"for chat)", more))
	}
	a.Lines = lines
	return a
}

// cutLine cuts a line to maxLineBytes without breaking a UTF-8 character.
func cutLine(l string) string {
	if len(l) <= maxLineBytes {
		return l
	}
	end := maxLineBytes - len(" ...")
	for end > 0 && !utf8.RuneStart(l[end]) {
		end--
	}
	return l[:end] + " ..."
}
