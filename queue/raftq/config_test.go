package raftq

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

func TestParsePeers(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []Peer
		err  string
	}{
		{"addresses", []string{"127.0.0.1:7001", "127.0.0.1:7002"},
			[]Peer{{"127.0.0.1:7001", "127.0.0.1:7001"}, {"127.0.0.1:7002", "127.0.0.1:7002"}}, ""},
		{"named", []string{"a=h1:7001", "b=h2:7001"},
			[]Peer{{"a", "h1:7001"}, {"b", "h2:7001"}}, ""},
		{"comma list", []string{"a=h1:1, h2:2"}, []Peer{{"a", "h1:1"}, {"h2:2", "h2:2"}}, ""},
		{"ipv6", []string{"[::1]:7001"}, []Peer{{"[::1]:7001", "[::1]:7001"}}, ""},
		{"empty", nil, nil, "the list is empty"},
		{"empty entry", []string{"h1:1,"}, nil, `entry ""`},
		{"no port", []string{"h1"}, nil, "not HOST:PORT"},
		{"bad port", []string{"h1:http"}, nil, "port \"http\""},
		{"port zero", []string{"h1:0"}, nil, "from 1 to 65535"},
		{"no host", []string{":7001"}, nil, "host is empty"},
		{"empty id", []string{"=h1:1"}, nil, "empty id"},
		{"duplicate id", []string{"a=h1:1", "a=h2:1"}, nil, `id "a" appears twice`},
		{"duplicate addr", []string{"a=h1:1", "b=h1:1"}, nil, `address "h1:1" appears twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePeers(tc.in)
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrPeers) || !strings.Contains(err.Error(), tc.err) ||
					!strings.Contains(err.Error(), "ID=HOST:PORT") {
					t.Fatalf("err = %v, want ErrPeers with %q and the expected form", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("peer %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestFindSelf(t *testing.T) {
	three := []Peer{{"a", "h1:1"}, {"b", "h2:1"}, {"h3:1", "h3:1"}}
	tests := []struct {
		name     string
		peers    []Peer
		id, addr string
		want     string
		err      string
	}{
		{"by id", three, "b", "", "b", ""},
		{"by addr", three, "", "h3:1", "h3:1", ""},
		{"id and matching addr", three, "a", "h1:1", "a", ""},
		{"only peer", three[:1], "", "", "a", ""},
		{"id and other addr", three, "a", "h9:1", "", "differs"},
		{"unknown id", three, "z", "", "", `node.id "z" is not in cluster.peers`},
		{"unknown addr", three, "", "h9:1", "", `raft.addr "h9:1" is not in`},
		{"neither", three, "", "", "", "set node.id or raft.addr"},
		{"duplicate", []Peer{{"a", "h1:1"}, {"a", "h2:1"}}, "a", "", "", "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FindSelf(tc.peers, tc.id, tc.addr)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got.ID != tc.want {
				t.Fatalf("got %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.DataDir, c.Peers, c.ID = "data", []string{"a=h1:1", "b=h2:1", "c=h3:1"}, "a"
		c.Secret = strings.Repeat("s", MinSecret)
		return c
	}
	tests := []struct {
		name   string
		change func(c *Config)
		err    string
	}{
		{"defaults", func(c *Config) {}, ""},
		{"one node needs no secret", func(c *Config) {
			c.Peers, c.ID, c.Secret = []string{"h1:1"}, "", ""
		}, ""},
		{"heartbeat too low", func(c *Config) { c.HeartbeatTimeout = time.Millisecond },
			"raft.heartbeat_timeout (1ms) must be at least 5ms"},
		{"election below heartbeat", func(c *Config) { c.ElectionTimeout = 500 * time.Millisecond },
			"raft.election_timeout (500ms) must be at least raft.heartbeat_timeout (1s)"},
		{"lease above heartbeat", func(c *Config) { c.LeaderLeaseTimeout = 2 * time.Second },
			"raft.leader_lease_timeout (2s) must be at most raft.heartbeat_timeout (1s)"},
		{"lease too low", func(c *Config) { c.LeaderLeaseTimeout = 0 },
			"raft.leader_lease_timeout (0s) must be at least 5ms"},
		{"snapshot threshold", func(c *Config) { c.SnapshotThreshold = 0 },
			"raft.snapshot_threshold"},
		{"snapshot interval", func(c *Config) { c.SnapshotInterval = 0 },
			"raft.snapshot_interval"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "node.data_dir"},
		{"no secret", func(c *Config) { c.Secret = "" },
			"cluster.secret must be set (at least 16 bytes) when cluster.peers names 3 peers"},
		{"short secret", func(c *Config) { c.Secret = "short" },
			"cluster.secret (5 bytes) must be at least 16 bytes"},
		{"not in peers", func(c *Config) { c.ID = "z" }, `node.id "z"`},
		{"bad peers", func(c *Config) { c.Peers = []string{"nope"} }, "cluster.peers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.change(&c)
			err := c.Validate()
			if tc.err == "" {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if strings.Contains(err.Error(), c.Secret) && c.Secret != "" {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func TestValidateQueue(t *testing.T) {
	c := DefaultConfig()
	q := queue.DefaultConfig()
	if err := c.ValidateQueue(q); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	c.ElectionTimeout = 5 * time.Second
	c.HeartbeatTimeout = 5 * time.Second
	if err := c.ValidateQueue(q); err == nil || !strings.Contains(err.Error(), "queue.node_ttl") {
		t.Fatalf("node_ttl shorter than a failover accepted: %v", err)
	}
}
