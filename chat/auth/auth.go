// Package auth decides who may use the routes that require a group.
// Groups are sets of user ids kept in the shared store, so every node
// answers alike and memberships survive a failover. The users listed in
// auth.admins are always in the group "admins", whatever the store holds;
// admins manage the other memberships in chat with `auth add`, `auth
// remove` and `auth list`.
//
// What it guarantees: a membership change made on any node is seen by
// every node's next check (there is no cache); a user named in auth.admins
// cannot be removed from admins in chat, so a typo cannot lock the
// admins out. User ids and group names are compared without regard to
// case (IRC nicks are case-insensitive; other services' ids do not
// differ by case alone).
//
// What it does not guarantee: that a user id is who it claims to be. That
// is the chat service's business: on IRC the id is the nick, and anyone
// can take a free nick, so protect admin nicks with the network's nick
// registration (or use groups on IRC only for harmless commands).
package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/herald-chatops/herald/chat/store"
)

// AdminGroup is the group of auth.admins, the one that manages groups.
const AdminGroup = "admins"

// StoreHandler is the store namespace the memberships are kept in.
const StoreHandler = "auth"

// Errors of group management.
var (
	// ErrInvalid is returned for a user id or group name that cannot be
	// stored.
	ErrInvalid = errors.New("auth: invalid user or group")
	// ErrConfigured is returned when removing a user of auth.admins from
	// the admins group.
	ErrConfigured = errors.New("auth: admin by configuration (auth.admins)")
)

var (
	groupName = regexp.MustCompile(`^[a-z0-9_.-]{1,64}$`)
	userID    = regexp.MustCompile(`^\S{1,256}$`)
)

// Authorizer answers group checks for chat.Router and manages groups.
// It is safe for concurrent use.
type Authorizer struct {
	s      store.Scope
	admins map[string]bool
}

// New returns the authorizer of cfg on s.
func New(cfg Config, s store.Store) (*Authorizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Authorizer{s: store.For(s, StoreHandler), admins: map[string]bool{}}
	for _, u := range cfg.Admins {
		a.admins[strings.ToLower(u)] = true
	}
	return a, nil
}

// memberKey is the store key of one membership. Group names hold no ':',
// so the user id is everything after the second one.
func memberKey(group, user string) string { return "member:" + group + ":" + user }

// norm lowers and checks a user id and a group name.
func norm(user, group string) (string, string, error) {
	user, group = strings.ToLower(user), strings.ToLower(group)
	if !userID.MatchString(user) || !groupName.MatchString(group) {
		return "", "", fmt.Errorf("%w: user %q, group %q (a group name is letters, digits, "+
			"'_', '.' or '-')", ErrInvalid, user, group)
	}
	return user, group, nil
}

// InGroup reports whether user is in group.
func (a *Authorizer) InGroup(ctx context.Context, user, group string) (bool, error) {
	user, group, err := norm(user, group)
	if err != nil {
		return false, nil
	}
	if group == AdminGroup && a.admins[user] {
		return true, nil
	}
	_, err = a.s.Get(ctx, memberKey(group, user))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("auth: check %s: %w", group, err)
}

// Add puts user in group.
func (a *Authorizer) Add(ctx context.Context, user, group string) error {
	user, group, err := norm(user, group)
	if err != nil {
		return err
	}
	if err := a.s.Set(ctx, memberKey(group, user), "1", 0); err != nil {
		return fmt.Errorf("auth: add: %w", err)
	}
	return nil
}

// Remove takes user out of group and reports whether it was in it.
func (a *Authorizer) Remove(ctx context.Context, user, group string) (bool, error) {
	user, group, err := norm(user, group)
	if err != nil {
		return false, err
	}
	if group == AdminGroup && a.admins[user] {
		return false, ErrConfigured
	}
	in, err := a.InGroup(ctx, user, group)
	if err != nil || !in {
		return false, err
	}
	if err := a.s.Delete(ctx, memberKey(group, user)); err != nil {
		return false, fmt.Errorf("auth: remove: %w", err)
	}
	return true, nil
}

// Members returns the members of group, sorted.
func (a *Authorizer) Members(ctx context.Context, group string) ([]string, error) {
	all, err := a.Groups(ctx)
	if err != nil {
		return nil, err
	}
	return all[strings.ToLower(group)], nil
}

// Groups returns every group with members and its members, sorted.
func (a *Authorizer) Groups(ctx context.Context) (map[string][]string, error) {
	keys, err := a.s.Keys(ctx, "member:")
	if err != nil {
		return nil, fmt.Errorf("auth: list: %w", err)
	}
	groups := map[string][]string{}
	for u := range a.admins {
		groups[AdminGroup] = append(groups[AdminGroup], u)
	}
	for _, k := range keys {
		group, user, ok := strings.Cut(strings.TrimPrefix(k, "member:"), ":")
		if ok && !(group == AdminGroup && a.admins[user]) {
			groups[group] = append(groups[group], user)
		}
	}
	for _, members := range groups {
		sort.Strings(members)
	}
	return groups, nil
}
