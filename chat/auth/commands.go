package auth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/herald-chatops/herald/chat"
)

// Register adds the group commands to r and makes a the router's
// authorizer. The commands are for admins only:
//
//	auth add USER GROUP
//	auth remove USER GROUP
//	auth list [GROUP]
func Register(r *chat.Router, a *Authorizer) error {
	r.SetAuthorizer(a)
	routes := []chat.Route{
		{Name: "auth-add", Pattern: `(?i)^auth\s+add\s+(\S+)\s+(\S+)\s*$`, Addressed: true,
			Group: AdminGroup, Help: "auth add USER GROUP - puts USER in GROUP",
			Handler: a.addCmd},
		{Name: "auth-remove", Pattern: `(?i)^auth\s+remove\s+(\S+)\s+(\S+)\s*$`,
			Addressed: true, Group: AdminGroup,
			Help: "auth remove USER GROUP - takes USER out of GROUP", Handler: a.removeCmd},
		{Name: "auth-list", Pattern: `(?i)^auth\s+list(?:\s+(\S+))?\s*$`, Addressed: true,
			Group: AdminGroup, Help: "auth list [GROUP] - lists the groups and their members",
			Handler: a.listCmd},
	}
	for _, rt := range routes {
		if err := r.Add(rt); err != nil {
			return err
		}
	}
	return nil
}

func (a *Authorizer) addCmd(ctx context.Context, req *chat.Request) error {
	user, group := req.Match[1], req.Match[2]
	err := a.Add(ctx, user, group)
	switch {
	case errors.Is(err, ErrInvalid):
		req.Reply(fmt.Sprintf("%q is not a group name: use letters, digits, '_', '.' or '-'",
			group))
		return nil
	case err != nil:
		return err
	}
	req.Reply(fmt.Sprintf("%s is now in %s", user, strings.ToLower(group)))
	return nil
}

func (a *Authorizer) removeCmd(ctx context.Context, req *chat.Request) error {
	user, group := req.Match[1], strings.ToLower(req.Match[2])
	was, err := a.Remove(ctx, user, group)
	switch {
	case errors.Is(err, ErrConfigured):
		req.Reply(fmt.Sprintf("%s is an admin by configuration (auth.admins); "+
			"change the configuration to remove them", user))
	case errors.Is(err, ErrInvalid), err == nil && !was:
		req.Reply(fmt.Sprintf("%s was not in %s", user, group))
	case err != nil:
		return err
	default:
		req.Reply(fmt.Sprintf("%s is no longer in %s", user, group))
	}
	return nil
}

func (a *Authorizer) listCmd(ctx context.Context, req *chat.Request) error {
	groups, err := a.Groups(ctx)
	if err != nil {
		return err
	}
	if want := strings.ToLower(req.Match[1]); want != "" {
		groups = map[string][]string{want: groups[want]}
	}
	req.Reply(groupLines(groups)...)
	return nil
}

// groupLines writes one line per group, sorted, or says there are none.
func groupLines(groups map[string][]string) []string {
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	var lines []string
	for _, g := range names {
		members := strings.Join(groups[g], ", ")
		if members == "" {
			members = "no members"
		}
		lines = append(lines, g+": "+members)
	}
	if len(lines) == 0 {
		lines = []string{"no groups"}
	}
	return lines
}
