package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-chatops/herald/chat"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/github"
	"github.com/herald-chatops/herald/queue"
)

// webhookSources builds the enabled webhook sources: GitHub when
// webhooks.github.secret is set.
func (b *builder) webhookSources() error {
	if !b.cfg.Webhooks.GitHub.Enabled() {
		return nil
	}
	src, err := github.New(b.cfg.Webhooks.GitHub)
	if err != nil {
		return err
	}
	b.github = src
	return nil
}

// sources returns the webhook sources for the HTTP intake.
func (b *builder) sources() []heraldhttp.Source {
	if b.github == nil {
		return nil
	}
	return []heraldhttp.Source{b.github}
}

// jobs returns the job handlers: the built-in sources and the program's
// own, which win on a clash of kinds.
func (b *builder) jobs() map[string]JobHandler {
	jobs := map[string]JobHandler{}
	if b.github != nil {
		jobs[b.github.Name()] = b.githubJob
	}
	for kind, h := range b.env.Jobs {
		jobs[kind] = h
	}
	return jobs
}

// githubJob formats one GitHub delivery for chat. An event without a
// formatter or a room is done, not failed: it was accepted and counted at
// intake. A malformed one fails, and so ends among the dead letters.
func (b *builder) githubJob(_ context.Context, e queue.Envelope) ([]chat.Action, error) {
	event := e.Meta[heraldhttp.MetaEvent]
	actions, err := b.github.Format(event, e.Body)
	if errors.Is(err, github.ErrNoFormatter) || errors.Is(err, github.ErrNoRoom) {
		b.log.Debug("webhook event not for chat", "event", event, "msg_id", e.ID, "err", err)
		return nil, nil
	}
	if errors.Is(err, github.ErrMalformed) {
		// The same body fails the same way every time: no retries.
		return nil, fmt.Errorf("%w: %w", queue.ErrPermanent, err)
	}
	return actions, err
}
