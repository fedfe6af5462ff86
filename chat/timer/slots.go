package timer

import "time"

// catchUpSpan bounds how far back the search for a missed slot looks: a
// timer whose last slot is older fires (or skips) the latest slot within
// it, which is the same one.
const catchUpSpan = 40 * 24 * time.Hour

// maxSteps bounds the slots walked in one search, for cron expressions
// with many slots in catchUpSpan.
const maxSteps = 200_000

// latest returns the latest slot in (after, now], or the zero time when
// there is none.
func latest(s schedule, after, now time.Time) time.Time {
	if e, ok := s.(every); ok {
		slot := now.Truncate(time.Duration(e))
		if slot.After(after) {
			return slot
		}
		return time.Time{}
	}
	if from := now.Add(-catchUpSpan); after.Before(from) {
		after = from
	}
	var found time.Time
	next := s.Next(after)
	for steps := 0; steps < maxSteps && !next.IsZero() && !next.After(now); steps++ {
		found = next
		next = s.Next(next)
	}
	return found
}

// claimTTL is how long a slot's claim is kept: long enough to cover two
// schedulers racing for the same slot and the write of the timer's last
// slot, which guards the slot after that.
func claimTTL(s schedule) time.Duration {
	if e, ok := s.(every); ok {
		return max(2*time.Duration(e), time.Minute)
	}
	return 25 * time.Hour
}
