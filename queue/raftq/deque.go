package raftq

import "encoding/json"

// deque is one list: envelopes in the order they will be popped. It
// marshals as a JSON array of envelopes, front first.
type deque struct {
	items []json.RawMessage
	head  int
}

// Len returns the number of envelopes.
func (d *deque) Len() int { return len(d.items) - d.head }

// PushBack appends e behind the last envelope.
func (d *deque) PushBack(e json.RawMessage) { d.items = append(d.items, e) }

// PushFront puts e before the first envelope, so it is popped next.
func (d *deque) PushFront(e json.RawMessage) {
	if d.head == 0 {
		room := len(d.items)/2 + 8
		grown := make([]json.RawMessage, room+len(d.items), room+cap(d.items))
		copy(grown[room:], d.items)
		d.items, d.head = grown, room
	}
	d.head--
	d.items[d.head] = e
}

// PopFront removes and returns the first envelope.
func (d *deque) PopFront() (json.RawMessage, bool) {
	if d.Len() == 0 {
		return nil, false
	}
	e := d.items[d.head]
	d.items[d.head] = nil
	d.head++
	switch {
	case d.head == len(d.items):
		d.items, d.head = d.items[:0], 0
	case d.head > 1024 && d.head > len(d.items)/2:
		// Reclaim the popped front once it is most of the slice.
		n := copy(d.items, d.items[d.head:])
		clear(d.items[n:])
		d.items, d.head = d.items[:n], 0
	}
	return e, true
}

// MarshalJSON writes the envelopes as an array, front first.
func (d *deque) MarshalJSON() ([]byte, error) {
	items := d.items[d.head:]
	if items == nil {
		items = []json.RawMessage{}
	}
	return json.Marshal(items)
}

// UnmarshalJSON reads an array written by MarshalJSON.
func (d *deque) UnmarshalJSON(b []byte) error {
	d.head = 0
	return json.Unmarshal(b, &d.items)
}
