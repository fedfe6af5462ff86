package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	nethttp "net/http"
	"strconv"
	"strings"

	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/queue"
)

// Bounds of the limit parameter of GET /admin/dead-letters.
const (
	defaultDeadLimit = 100
	maxDeadLimit     = 1000
)

// admin wraps an admin call in the token check: 403 while no token is
// configured, 401 for a missing or wrong one.
func (s *Server) admin(next nethttp.HandlerFunc) nethttp.HandlerFunc {
	return func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if s.cfg.AdminToken == "" {
			writeError(w, nethttp.StatusForbidden,
				"admin calls are disabled: http.admin_token is not set")
			return
		}
		if !s.tokenOK(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
			writeError(w, nethttp.StatusUnauthorized, "missing or wrong admin token")
			return
		}
		next(w, r)
	}
}

// tokenOK compares the bearer token with http.admin_token in constant
// time. Both are hashed first so that not even the length leaks.
func (s *Server) tokenOK(auth string) bool {
	got, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}

// stepDown serves POST /admin/step-down.
func (s *Server) stepDown(w nethttp.ResponseWriter, r *nethttp.Request) {
	s.log.Info("admin step-down requested", "remote", r.RemoteAddr)
	err := s.deps.StepDown(r.Context())
	switch {
	case err == nil:
		writeJSON(w, nethttp.StatusOK, map[string]string{"status": "stepped down"})
	case errors.Is(err, election.ErrNotLeader):
		writeError(w, nethttp.StatusConflict, "this node is not the master")
	default:
		s.log.Warn("admin step-down failed", "err", err)
		writeError(w, nethttp.StatusServiceUnavailable, "step-down failed: "+err.Error())
	}
}

// deadList is the answer of GET /admin/dead-letters.
type deadList struct {
	Count       int                `json:"count"`
	DeadLetters []queue.DeadLetter `json:"dead_letters"`
}

// listDead serves GET /admin/dead-letters?limit=N&body=1. Payloads are
// left out unless body=1 asks for them.
func (s *Server) listDead(w nethttp.ResponseWriter, r *nethttp.Request) {
	q := r.URL.Query()
	limit := defaultDeadLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDeadLimit {
			writeError(w, nethttp.StatusBadRequest, "limit must be a number from 1 to 1000")
			return
		}
		limit = n
	}
	list, err := s.deps.DeadLetters.DeadLetters(r.Context(), limit)
	if err != nil {
		writeError(w, nethttp.StatusServiceUnavailable, "cannot list dead letters: "+err.Error())
		return
	}
	if q.Get("body") != "1" {
		for i := range list {
			list[i].Envelope.Body = nil
		}
	}
	if list == nil {
		list = []queue.DeadLetter{}
	}
	writeJSON(w, nethttp.StatusOK, deadList{Count: len(list), DeadLetters: list})
}

// requeueDead serves POST /admin/dead-letters/requeue?id=ID, or ?all=1 to
// requeue every dead letter. It answers 404 when no dead letter has id.
func (s *Server) requeueDead(w nethttp.ResponseWriter, r *nethttp.Request) {
	q := r.URL.Query()
	id, all := q.Get("id"), q.Get("all") == "1" || q.Get("all") == "true"
	if (id != "") == all { // exactly one of the two
		writeError(w, nethttp.StatusBadRequest,
			"give either id=ID or all=1 to requeue every dead letter")
		return
	}
	n, err := s.deps.DeadLetters.Requeue(r.Context(), id)
	if err != nil {
		writeError(w, nethttp.StatusServiceUnavailable, "cannot requeue: "+err.Error())
		return
	}
	s.log.Info("admin requeued dead letters", "msg_id", id, "count", n, "remote", r.RemoteAddr)
	code := nethttp.StatusOK
	if n == 0 && id != "" {
		code = nethttp.StatusNotFound
	}
	writeJSON(w, code, map[string]int{"requeued": n})
}
