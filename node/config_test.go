package node_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/node"
)

func writeYAML(t *testing.T, yaml string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

const ircYAML = `
node: {id: n1}
chat:
  adapter: irc
  irc: {server: "127.0.0.1:6667", nick: herald, channels: ["#ops"]}
`

func TestLoadConfigRefuses(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        []string
		flags      map[string]string
		wantErr    string // the key the message must name
	}{
		{"unknown key", "node: {id: n1}\nredis: {adress: x}\n", nil, nil, "redis.adress"},
		{"unknown section", "nodes: {id: n1}\n", nil, nil, "nodes.id"},
		{"duration without unit", "election: {ttl: 5}\n", nil, nil, "election.ttl"},
		{"bad duration", "election: {ttl: soon}\n", nil, nil, "election.ttl"},
		{"string for int", "worker: {chat_concurrency: many}\n", nil, nil, "chat_concurrency"},
		{"renew too close to ttl", "election: {ttl: 2s, renew: 1500ms}\n", nil, nil,
			"election.renew"},
		{"empty nick", strings.Replace(ircYAML, "nick: herald", `nick: ""`, 1), nil, nil,
			"chat.irc.nick"},
		{"channel without #", strings.Replace(ircYAML, `"#ops"`, `"ops"`, 1), nil, nil,
			"chat.irc.channels"},
		{"bad adapter", "chat: {adapter: telegraph}\n", nil, nil, "chat.adapter"},
		{"bad mode", "cluster: {mode: paxos}\n", nil, nil, "cluster.mode"},
		{"zero workers", "worker: {chat_concurrency: 0}\n", nil, nil,
			"worker.chat_concurrency"},
		{"unknown env in a section", "", []string{"HERALD_REDIS_ADRESS=x"}, nil,
			"HERALD_REDIS_ADRESS"},
		{"bad env int", "", []string{"HERALD_REDIS_DB=one"}, nil, "redis.db"},
		{"bad flag duration", "", nil, map[string]string{"election.ttl": "x"}, "election.ttl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := node.Sources{Env: tc.env, Flags: tc.flags}
			if tc.yaml != "" {
				src.File = writeYAML(t, tc.yaml)
			}
			_, err := node.LoadConfig(src)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q does not name %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadConfigOrder(t *testing.T) {
	file := writeYAML(t, ircYAML+"redis: {addr: \"127.0.0.1:1\"}\nhttp: {addr: \"127.0.0.1:2\"}\n")
	cfg, err := node.LoadConfig(node.Sources{
		File: file,
		Env: []string{"HERALD_REDIS_ADDR=127.0.0.1:7000", "HERALD_CHAT_IRC_SERVER=127.0.0.1:7001",
			"HERALD_CHAT_IRC_CHANNELS=#a, #b", "HERALD_HTTP_ADDR=127.0.0.1:7002",
			"HERALD_WORKER_CHAT_CONCURRENCY=9", "PATH=/bin", "HERALD_BIN=/usr/bin/x"},
		Flags: map[string]string{"http.addr": "127.0.0.1:7003"},
	})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"env over file", cfg.Redis.Addr, "127.0.0.1:7000"},
		{"nested env", cfg.Chat.IRC.Server, "127.0.0.1:7001"},
		{"list env", strings.Join(cfg.Chat.IRC.Channels, "|"), "#a|#b"},
		{"flag over env", cfg.HTTP.Addr, "127.0.0.1:7003"},
		{"file kept", cfg.Chat.IRC.Nick, "herald"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if cfg.Worker.ChatConcurrency != 9 {
		t.Errorf("underscore key from env: got %d", cfg.Worker.ChatConcurrency)
	}
}

func TestLoadConfigDerivesTimingFromTTL(t *testing.T) {
	cfg, err := node.LoadConfig(node.Sources{File: writeYAML(t, "election: {ttl: 2s}\n")})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Election.TTL != 2*time.Second || cfg.Election.Renew >= time.Second {
		t.Fatalf("election %+v: renew not derived from ttl", cfg.Election)
	}
}

func TestDefaultsAreValid(t *testing.T) {
	if _, err := node.LoadConfig(node.Sources{}); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsMaskSecrets(t *testing.T) {
	cfg, err := node.LoadConfig(node.Sources{Env: []string{"HERALD_REDIS_PASSWORD=hunter2",
		"HERALD_HTTP_ADMIN_TOKEN=tok-1234567890abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range node.Settings(cfg) {
		if strings.Contains(s.Value, "hunter2") || strings.Contains(s.Value, "tok-1234567890abcdef") {
			t.Fatalf("%s shows a secret: %s", s.Key, s.Value)
		}
	}
}

func TestExampleConfigIsValidAndComplete(t *testing.T) {
	const example = "../testdata/herald.example.yaml"
	cfg, err := node.LoadConfig(node.Sources{File: example})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range node.Settings(cfg) {
		leaf := s.Key[strings.LastIndex(s.Key, ".")+1:]
		if !strings.Contains(string(raw), leaf+":") {
			t.Errorf("the example config does not show %s", s.Key)
		}
	}
}

func TestPprofOnlyOnLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:6060": true, "[::1]:6060": true,
		"localhost:6060": true, "0.0.0.0:6060": false, "192.0.2.1:6060": false, "6060": false} {
		_, err := node.LoadConfig(node.Sources{Env: []string{"HERALD_DEBUG_PPROF_ADDR=" + addr}})
		if (err == nil) != ok {
			t.Errorf("debug.pprof_addr %q: err %v, want accepted %v", addr, err, ok)
		}
	}
}
