package chat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
)

// HandlerFunc handles one message that matched a route. Actions it asks
// for through req are pushed to the outbound list after it returns nil; an
// error makes the node try the message again later.
type HandlerFunc func(ctx context.Context, req *Request) error

// Route maps a regular expression on a message's text to a handler.
type Route struct {
	// Name identifies the route in logs and metrics.
	Name string
	// Pattern is matched against the text (after the bot's name when
	// Addressed). It is a Go regular expression; add (?i) for case.
	Pattern string
	// Addressed routes only match messages addressed to the bot.
	Addressed bool
	// Help is one line for the help command, such as "echo TEXT - says
	// TEXT back". Routes without Help are not listed.
	Help string
	// Group, when set, is the group a user must be in to use the route.
	Group string
	// Handler does the work.
	Handler HandlerFunc
}

// Authorizer tells whether a user is in a group.
type Authorizer interface {
	InGroup(ctx context.Context, userID, group string) (bool, error)
}

// ErrHandlerPanic wraps a panic recovered from a handler.
var ErrHandlerPanic = errors.New("chat: handler panicked")

// Router matches messages to routes. Add routes before the node starts;
// Dispatch is safe for concurrent use once routes are added.
type Router struct {
	routes []compiled
	auth   Authorizer
}

type compiled struct {
	Route
	re *regexp.Regexp
}

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{} }

// SetAuthorizer sets who decides group membership for routes with a Group.
// Without one, routes with a Group refuse everyone.
func (r *Router) SetAuthorizer(a Authorizer) { r.auth = a }

// Add registers a route. It fails on an invalid pattern, a missing
// handler, or a name already taken.
func (r *Router) Add(rt Route) error {
	if rt.Name == "" || rt.Handler == nil {
		return fmt.Errorf("chat: route %q needs a name and a handler", rt.Name)
	}
	for _, c := range r.routes {
		if c.Name == rt.Name {
			return fmt.Errorf("chat: route %q added twice", rt.Name)
		}
	}
	re, err := regexp.Compile(rt.Pattern)
	if err != nil {
		return fmt.Errorf("chat: route %q: %w", rt.Name, err)
	}
	r.routes = append(r.routes, compiled{Route: rt, re: re})
	return nil
}

// Help returns the help lines of the routes a user could use, sorted,
// keeping only those containing filter when it is not empty.
func (r *Router) Help(filter string) []string {
	var lines []string
	for _, c := range r.routes {
		if c.Help == "" || !strings.Contains(c.Help, filter) {
			continue
		}
		line := c.Help
		if c.Group != "" {
			line += " (" + c.Group + " only)"
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	return lines
}

// Matches returns the names of the routes msg matches, for logs.
func (r *Router) Matches(msg Message) []string {
	var names []string
	for _, c := range r.routes {
		if (!c.Addressed || msg.Addressed) && c.re.MatchString(msg.Text) {
			names = append(names, c.Name)
		}
	}
	return names
}

// Dispatch runs every route matching msg and returns the actions they
// asked for, with ids derived from the message id so that a second run on
// the same message yields the same ids. A failing handler's actions are
// dropped and its error returned, joined with any others.
func (r *Router) Dispatch(ctx context.Context, msg Message) ([]Action, error) {
	var actions []Action
	var errs []error
	for _, c := range r.routes {
		if c.Addressed && !msg.Addressed {
			continue
		}
		m := c.re.FindStringSubmatch(msg.Text)
		if m == nil {
			continue
		}
		req := &Request{Message: msg, Match: m, Route: c.Name}
		if err := r.run(ctx, c, req); err != nil {
			errs = append(errs, fmt.Errorf("route %s: %w", c.Name, err))
			continue
		}
		actions = append(actions, req.Actions()...)
	}
	StampIDs(msg.ID, actions)
	return actions, errors.Join(errs...)
}

// run checks the route's group and calls its handler, turning a panic
// into an error so that one bad handler never stops a node.
func (r *Router) run(ctx context.Context, c compiled, req *Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", ErrHandlerPanic, p, debug.Stack())
		}
	}()
	if c.Group != "" {
		ok, err := r.inGroup(ctx, req.Message.User.ID, c.Group)
		if err != nil {
			return err
		}
		if !ok {
			req.Reply(fmt.Sprintf("you need to be in group %q to do that", c.Group))
			return nil
		}
	}
	return c.Handler(ctx, req)
}

func (r *Router) inGroup(ctx context.Context, user, group string) (bool, error) {
	if r.auth == nil {
		return false, nil
	}
	return r.auth.InGroup(ctx, user, group)
}
