package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

const deadUsage = `Usage:
  herald dead-letters list [flags]                  the oldest dead letters and their errors
  herald dead-letters requeue [flags] --id ID       put one back on its list
  herald dead-letters requeue [flags] --all         put every one back

Dead letters are messages and jobs that failed queue.max_attempts times.
Both commands need the admin token; --help after a command shows its flags.
`

// runDeadLetters runs `herald dead-letters list|requeue`.
func runDeadLetters(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, deadUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return runDeadList(args[1:], stdout, stderr)
	case "requeue":
		return runRequeue(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, deadUsage)
		return 0
	}
	fmt.Fprintf(stderr, "herald dead-letters: unknown command %q\n\n%s", args[0], deadUsage)
	return 2
}

// deadList is the answer of GET /admin/dead-letters.
type deadList struct {
	Count       int                `json:"count"`
	DeadLetters []queue.DeadLetter `json:"dead_letters"`
}

// runDeadList runs `herald dead-letters list`.
func runDeadList(args []string, stdout, stderr io.Writer) int {
	var cf clientFlags
	fs := newFlags("herald dead-letters list", "herald dead-letters list [flags]",
		"Lists the oldest dead letters with the error of their last try. Payloads\n"+
			"are never shown.", stderr)
	cf.register(fs)
	limit := fs.Int("limit", 100, "show at most this many (1 to 1000)")
	asJSON := fs.Bool("json", false, "print the node's JSON answer as it is, for scripts")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *limit < 1 || *limit > 1000 {
		return fail(stderr, fmt.Errorf("%w: --limit (%d) must be from 1 to 1000", errUsage,
			*limit))
	}
	c, err := cf.client()
	if err != nil {
		return fail(stderr, err)
	}
	ctx, stop := cmdContext()
	defer stop()
	var list deadList
	raw, err := c.get(ctx, "/admin/dead-letters", url.Values{"limit": {strconv.Itoa(*limit)}},
		true, &list)
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		_, _ = stdout.Write(raw)
		return 0
	}
	printDead(stdout, list.DeadLetters, time.Now())
	return 0
}

// printDead writes the dead letters as a table, one line each.
func printDead(w io.Writer, list []queue.DeadLetter, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No dead letters.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLIST\tKIND\tTRIES\tDIED\tERROR")
	for _, d := range list {
		e := d.Envelope
		died := "-"
		if !d.Died.IsZero() {
			died = heraldhttp.ShortDuration(now.Sub(d.Died)) + " ago"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.ID, d.List, e.Kind, e.Attempts, died,
			strings.Join(strings.Fields(e.Error), " "))
	}
	_ = tw.Flush()
}

// runRequeue runs `herald dead-letters requeue --id ID | --all`.
func runRequeue(args []string, stdout, stderr io.Writer) int {
	var cf clientFlags
	fs := newFlags("herald dead-letters requeue",
		"herald dead-letters requeue [flags] (--id ID | --all)",
		"Puts dead letters back on the list they failed on, with their tries reset.\n"+
			"Fix the cause first, or they fail again.", stderr)
	cf.register(fs)
	id := fs.String("id", "", "requeue the dead letter with this `ID`")
	all := fs.Bool("all", false, "requeue every dead letter")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if (*id != "") == *all {
		return fail(stderr, fmt.Errorf("%w: give either --id ID or --all", errUsage))
	}
	c, err := cf.client()
	if err != nil {
		return fail(stderr, err)
	}
	ctx, stop := cmdContext()
	defer stop()
	q := url.Values{"all": {"1"}}
	if *id != "" {
		q = url.Values{"id": {*id}}
	}
	var ans struct {
		Requeued int `json:"requeued"`
	}
	err = c.post(ctx, "/admin/dead-letters/requeue", q, &ans)
	var api *apiError
	if errors.As(err, &api) && api.code == http.StatusNotFound && *id != "" {
		return fail(stderr, fmt.Errorf("no dead letter has the id %q; herald dead-letters "+
			"list shows them", *id))
	}
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Requeued %d dead letter%s.\n", ans.Requeued, plural(ans.Requeued))
	return 0
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
