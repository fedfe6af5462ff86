package node

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/knadh/koanf/v2"

	"github.com/herald-chatops/herald/chat/auth"
	"github.com/herald-chatops/herald/chat/events"
	"github.com/herald-chatops/herald/chat/external"
	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/chat/receive"
	"github.com/herald-chatops/herald/chat/webroute"
	"github.com/herald-chatops/herald/election"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/github"
	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/raftq"
	"github.com/herald-chatops/herald/queue/redisq"
)

// Config is the whole configuration of a node. Each section belongs to
// the component that reads it and documents its own defaults.
type Config struct {
	Node     NodeConfig        `koanf:"node"`
	Cluster  ClusterConfig     `koanf:"cluster"`
	Redis    redisq.Config     `koanf:"redis"`
	Election election.Config   `koanf:"election"`
	Raft     RaftConfig        `koanf:"raft"`
	Queue    queue.Config      `koanf:"queue"`
	Chat     ChatConfig        `koanf:"chat"`
	HTTP     heraldhttp.Config `koanf:"http"`
	Webhooks WebhooksConfig    `koanf:"webhooks"`
	Auth     auth.Config       `koanf:"auth"`
	Worker   WorkerConfig      `koanf:"worker"`
	Log      LogConfig         `koanf:"log"`
	Debug    DebugConfig       `koanf:"debug"`
}

// NodeConfig is the `node` section.
type NodeConfig struct {
	// ID names this node in the cluster. Default: the host name.
	ID string `koanf:"id"`
	// DataDir holds what a node keeps on disk (raft mode). Default
	// ".herald/data".
	DataDir string `koanf:"data_dir"`
}

// ClusterConfig is the `cluster` section.
type ClusterConfig struct {
	// Mode is "redis" (the default) or "raft".
	Mode string `koanf:"mode"`
	// Namespace prefixes every key Herald writes. Default "herald".
	Namespace string `koanf:"namespace"`
	// Peers are the raft cluster's servers: HOST:PORT (the address is
	// the id) or ID=HOST:PORT. Raft mode only.
	Peers []string `koanf:"peers"`
	// Secret authenticates the raft cluster's connections (16+ bytes);
	// required with more than one peer. Raft mode only.
	Secret string `koanf:"secret"`
}

// RaftConfig is the `raft` section, for raft mode.
type RaftConfig struct {
	// Addr is this node's raft address; empty means its entry in
	// cluster.peers, found by node.id.
	Addr string `koanf:"addr"`
	// HeartbeatTimeout: a follower that hears nothing from the leader
	// this long starts an election. Default 1s.
	HeartbeatTimeout time.Duration `koanf:"heartbeat_timeout"`
	// ElectionTimeout: how long a candidate waits for votes. Default 1s.
	ElectionTimeout time.Duration `koanf:"election_timeout"`
	// LeaderLeaseTimeout: how long the master acts after a quorum last
	// confirmed it. Default 500ms.
	LeaderLeaseTimeout time.Duration `koanf:"leader_lease_timeout"`
	// SnapshotThreshold: new log entries that cause a snapshot.
	SnapshotThreshold uint64 `koanf:"snapshot_threshold"`
	// SnapshotInterval: how often the threshold is checked.
	SnapshotInterval time.Duration `koanf:"snapshot_interval"`
	// TrailingLogs: entries kept after a snapshot for slow followers.
	TrailingLogs uint64 `koanf:"trailing_logs"`
}

// raftq returns the raft backend's configuration.
func (c Config) raftq() raftq.Config {
	return raftq.Config{ID: c.Node.ID, DataDir: c.Node.DataDir, Peers: c.Cluster.Peers,
		Secret: c.Cluster.Secret, Addr: c.Raft.Addr, HeartbeatTimeout: c.Raft.HeartbeatTimeout,
		ElectionTimeout: c.Raft.ElectionTimeout, LeaderLeaseTimeout: c.Raft.LeaderLeaseTimeout,
		SnapshotThreshold: c.Raft.SnapshotThreshold, SnapshotInterval: c.Raft.SnapshotInterval,
		TrailingLogs: c.Raft.TrailingLogs}
}

// defaultRaft returns the raft section's defaults, from the backend's.
func defaultRaft() RaftConfig {
	d := raftq.DefaultConfig()
	return RaftConfig{HeartbeatTimeout: d.HeartbeatTimeout, ElectionTimeout: d.ElectionTimeout,
		LeaderLeaseTimeout: d.LeaderLeaseTimeout, SnapshotThreshold: d.SnapshotThreshold,
		SnapshotInterval: d.SnapshotInterval, TrailingLogs: d.TrailingLogs}
}

// ChatConfig is the `chat` section.
type ChatConfig struct {
	// Adapter is "shell", "irc" or "none". Default "shell".
	Adapter string `koanf:"adapter"`
	// Nick is the bot's name for the shell adapter (the irc adapter has
	// its own). Default "herald".
	Nick string `koanf:"nick"`
	// IRC configures the irc adapter.
	IRC irc.Config `koanf:"irc"`
	// MaxLines is the most lines one answer or notification may put in
	// chat; longer ones are cut with a note. Default 20.
	MaxLines int `koanf:"max_lines"`
	// IgnoreUsers are user ids whose messages never reach the workers.
	IgnoreUsers []string `koanf:"ignore_users"`
	// Commands are handlers in any language: external programs or HTTP
	// endpoints, configured only.
	Commands external.Commands `koanf:"commands"`
	// Events sets how event hooks run.
	Events events.Config `koanf:"events"`
	// HTTP sets the limits of handlers' HTTP routes under /handlers/.
	HTTP webroute.Config `koanf:"http"`
	// TestTimer, when not zero, adds a timer saying "tick SLOT" in the
	// first channel at this interval; for Herald's own tests only.
	TestTimer time.Duration `koanf:"test_timer"`
	// TestCommands adds the `slow` and `fail` commands used by Herald's own tests.
	TestCommands bool `koanf:"test_commands"`
}

// WebhooksConfig is the `webhooks` section.
type WebhooksConfig struct {
	GitHub github.Config `koanf:"github"`
}

// WorkerConfig is the `worker` section.
type WorkerConfig struct {
	// ChatConcurrency is how many chat messages a node handles at once.
	// Default 4.
	ChatConcurrency int `koanf:"chat_concurrency"`
	// JobConcurrency is how many webhook jobs a node handles at once.
	// Default 4.
	JobConcurrency int `koanf:"job_concurrency"`
}

// LogConfig is the `log` section.
type LogConfig struct {
	// Level is debug, info, warn or error. Default info.
	Level string `koanf:"level"`
	// Format is text or json. Default text.
	Format string `koanf:"format"`
}

// DefaultConfig returns every documented default.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		Node:     NodeConfig{ID: host, DataDir: ".herald/data"},
		Cluster:  ClusterConfig{Mode: "redis", Namespace: "herald"},
		Redis:    redisq.DefaultConfig(),
		Election: election.DefaultConfig(),
		Raft:     defaultRaft(),
		Queue:    queue.DefaultConfig(),
		Chat: ChatConfig{Adapter: "shell", Nick: "herald", MaxLines: 20,
			IRC: irc.DefaultConfig(), Events: events.DefaultConfig(),
			HTTP: webroute.DefaultConfig()},
		Auth:     auth.DefaultConfig(),
		HTTP:     heraldhttp.DefaultConfig(),
		Webhooks: WebhooksConfig{GitHub: github.DefaultConfig()},
		Worker:   WorkerConfig{ChatConcurrency: 4, JobConcurrency: 4},
		Log:      LogConfig{Level: "info", Format: "text"},
	}
}

// defaultsFor returns the defaults, with the election timing derived from
// election.ttl when the user set the lease but not the rest.
func defaultsFor(k *koanf.Koanf) Config {
	cfg := DefaultConfig()
	if ttl := k.Duration("election.ttl"); k.Exists("election.ttl") && ttl > 0 {
		cfg.Election = election.ForTTL(ttl)
	}
	return cfg
}

var (
	namespaceRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// nodeIDRE allows ':' too: in raft mode a peer's id may be its
	// address.
	nodeIDRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
)

// Validate checks the whole configuration, naming the key at fault.
func (c Config) Validate() error {
	if err := c.validateOwn(); err != nil {
		return err
	}
	checks := []func() error{c.Election.Validate, c.Queue.Validate, c.HTTP.Validate,
		c.Webhooks.GitHub.Validate, c.Auth.Validate, c.Debug.Validate, c.Chat.Commands.Validate,
		c.Chat.Events.Validate, c.Chat.HTTP.Validate,
		receive.Config{IgnoreUsers: c.Chat.IgnoreUsers}.Validate}
	if c.Cluster.Mode == "redis" {
		checks = append(checks, c.Redis.Validate)
	}
	if c.Cluster.Mode == "raft" {
		checks = append(checks, c.raftq().Validate,
			func() error { return c.raftq().ValidateQueue(c.Queue) })
	}
	if c.Chat.Adapter == "irc" {
		checks = append(checks, c.Chat.IRC.Validate)
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c Config) validateOwn() error {
	switch {
	case c.Node.ID == "":
		return errors.New("node.id must be set (its default is the host name)")
	case !nodeIDRE.MatchString(c.Node.ID):
		return fmt.Errorf("node.id (%q) may hold only letters, digits, '.', ':', '_' and '-'",
			c.Node.ID)
	case c.Cluster.Mode != "redis" && c.Cluster.Mode != "raft":
		return fmt.Errorf("cluster.mode (%q) must be redis or raft", c.Cluster.Mode)
	case !namespaceRE.MatchString(c.Cluster.Namespace):
		return fmt.Errorf("cluster.namespace (%q) may hold only letters, digits, '.', '_' and '-'",
			c.Cluster.Namespace)
	case c.Chat.Adapter != "shell" && c.Chat.Adapter != "irc" && c.Chat.Adapter != "none":
		return fmt.Errorf("chat.adapter (%q) must be shell, irc or none", c.Chat.Adapter)
	case c.Chat.HTTP.Timeout >= c.HTTP.WriteTimeout:
		return fmt.Errorf("chat.http.timeout (%v) must be less than http.write_timeout (%v)",
			c.Chat.HTTP.Timeout, c.HTTP.WriteTimeout)
	case c.Chat.TestTimer < 0:
		return fmt.Errorf("chat.test_timer (%v) must not be negative", c.Chat.TestTimer)
	case c.Chat.MaxLines < 1 || c.Chat.MaxLines > 1000:
		return fmt.Errorf("chat.max_lines (%d) must be between 1 and 1000", c.Chat.MaxLines)
	case c.Worker.ChatConcurrency < 1 || c.Worker.ChatConcurrency > 1024:
		return fmt.Errorf("worker.chat_concurrency (%d) must be between 1 and 1024",
			c.Worker.ChatConcurrency)
	case c.Worker.JobConcurrency < 1 || c.Worker.JobConcurrency > 1024:
		return fmt.Errorf("worker.job_concurrency (%d) must be between 1 and 1024",
			c.Worker.JobConcurrency)
	case c.Cluster.Mode == "redis" &&
		c.Redis.BlockPoolSize < c.Worker.ChatConcurrency+c.Worker.JobConcurrency+2:
		return fmt.Errorf("redis.block_pool_size (%d) must be at least "+
			"worker.chat_concurrency + worker.job_concurrency + 2 (%d): every worker and "+
			"the master's outbound pump hold one blocking connection",
			c.Redis.BlockPoolSize, c.Worker.ChatConcurrency+c.Worker.JobConcurrency+2)
	case c.Log.Level != "debug" && c.Log.Level != "info" && c.Log.Level != "warn" &&
		c.Log.Level != "error":
		return fmt.Errorf("log.level (%q) must be debug, info, warn or error", c.Log.Level)
	case c.Log.Format != "text" && c.Log.Format != "json":
		return fmt.Errorf("log.format (%q) must be text or json", c.Log.Format)
	}
	return nil
}

// findRaftSelf finds this node in cluster.peers, in raft mode: by node.id
// when it was set, else by raft.addr. The node's id becomes its peer id,
// so that the same name shows in raft and in the cluster's membership.
func (c *Config) findRaftSelf(idSet bool) error {
	if c.Cluster.Mode != "raft" || len(c.Cluster.Peers) == 0 {
		return nil
	}
	rc := c.raftq()
	if !idSet {
		rc.ID = ""
	}
	_, self, err := rc.Self()
	if err != nil {
		return fmt.Errorf("cluster.peers: %w", err)
	}
	c.Node.ID = self.ID
	if c.Raft.Addr == "" {
		c.Raft.Addr = self.Addr
	}
	return nil
}
