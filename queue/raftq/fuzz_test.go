package raftq

import (
	"bytes"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// FuzzParsePeers: any list is parsed or refused with ErrPeers, never a
// panic, and what is accepted has no duplicate.
func FuzzParsePeers(f *testing.F) {
	for _, s := range []string{"127.0.0.1:7001", "a=h:1,b=h:2", "=h:1", "[::1]:1", "h:0", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		peers, err := ParsePeers([]string{s})
		if err != nil {
			return
		}
		if err := checkDuplicates(peers); err != nil {
			t.Fatalf("accepted duplicates: %v", err)
		}
	})
}

// FuzzApply: the state machine survives any log entry, and its state
// still snapshots and restores.
func FuzzApply(f *testing.F) {
	seeds := []op{
		{Op: opPush, List: "jobs", Data: json.RawMessage(`{"id":"x"}`)},
		{Op: opPop, List: "jobs", Node: "a", Client: "c", Seq: 1},
		{Op: opRetry, Lease: 1, Max: 1},
		{Op: opAbandon, Client: "c", Seqs: []uint64{1}},
		{Op: opHeartbeat},
		{Op: opRequeue},
		{Op: opKVSet, Space: "h", Name: "k", Value: "v\xff", TTL: time.Second},
		{Op: opKVIncr, Space: "h", Name: "k", By: -1, Client: "c", Seq: 2},
		{Op: opKVDelete, Space: "h", Name: "k"},
	}
	for _, c := range seeds {
		stamp(&c, time.Unix(1, 0))
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, entry []byte) {
		fs := newFSM()
		for i, data := range [][]byte{entry, entry} {
			fs.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data})
		}
		snap, err := fs.Snapshot()
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		sink := &memSink{}
		if err := snap.Persist(sink); err != nil {
			t.Fatalf("persist: %v", err)
		}
		if err := newFSM().Restore(nopCloser{bytes.NewReader(sink.Bytes())}); err != nil {
			t.Fatalf("restore: %v", err)
		}
	})
}

// FuzzHandshake: the accepting side of the handshake refuses any bytes
// that are not a proof of the secret, without a panic.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte("HRLD\x01R0123456789abcdef"))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		client, server := net.Pipe()
		defer client.Close()
		go func() {
			_, _ = client.Write(in)
			_ = client.Close()
		}()
		go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(client) }()
		if _, err := serverHandshake(server, []byte(testSecret)); err == nil {
			t.Fatal("handshake accepted bytes without a proof")
		}
		server.Close()
	})
}

// nopCloser adds Close to a reader.
type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
