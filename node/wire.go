package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/builtin"
	"github.com/herald-chatops/herald/chat/handler"
	"github.com/herald-chatops/herald/chat/irc"
	"github.com/herald-chatops/herald/chat/shell"
	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/chat/store/redisstore"
	"github.com/herald-chatops/herald/election"
	"github.com/herald-chatops/herald/election/redislock"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/github"
	"github.com/herald-chatops/herald/http/metrics"
	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redisq"
)

// Env is what a node takes from the process that runs it.
type Env struct {
	Version string
	Log     *slog.Logger
	// Stdin and Stdout are the terminal of the shell adapter.
	Stdin  io.Reader
	Stdout io.Writer
	// Router, when set, is used instead of an empty one, so that a Go
	// program can add its own routes before the node starts; the
	// built-in commands are added to it.
	Router *chat.Router
	// Jobs adds job handlers by envelope kind to the built-in ones.
	Jobs map[string]JobHandler
	// Handlers add the program's own handlers through the node's kit.
	Handlers []Handler
}

// Start builds a node from cfg, serves HTTP and runs the node until ctx
// ends, then stops it gracefully.
func Start(ctx context.Context, cfg Config, env Env) error {
	log := env.Log
	if log == nil {
		log = slog.Default()
	}
	b := &builder{cfg: cfg, env: env, log: log}
	defer b.close()
	n, srv, err := b.build()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s (http.addr): %w", cfg.HTTP.Addr, err)
	}
	log.Info("node starting", "node", cfg.Node.ID, "mode", cfg.Cluster.Mode,
		"http", ln.Addr().String(),
		"version", env.Version, "adapter", cfg.Chat.Adapter)

	// The shell adapter's end of input (Ctrl-D) stops the node like a
	// signal would.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	waitPprof, err := servePprof(runCtx, cfg.Debug.PprofAddr, log)
	if err != nil {
		return err
	}
	defer func() { cancel(); waitPprof() }()
	if b.shell != nil {
		go func() {
			select {
			case <-b.shell.EOF():
				n.Settle(runCtx, 5*time.Second)
				cancel()
			case <-runCtx.Done():
			}
		}()
	}
	return runBoth(runCtx, n, srv, ln)
}

// runBoth serves HTTP while the node runs; HTTP stops after the node, so
// status stays readable during a graceful stop.
func runBoth(ctx context.Context, n *Node, srv *heraldhttp.Server, ln net.Listener) error {
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var httpErr error
	wg.Add(1)
	go func() { defer wg.Done(); httpErr = srv.Serve(httpCtx, ln) }()
	err := n.Run(ctx)
	stopHTTP()
	wg.Wait()
	return errors.Join(err, httpErr)
}

// builder holds what is built for one node and closes it after.
type builder struct {
	cfg     Config
	env     Env
	log     *slog.Logger
	closers []func() error
	shell   *shell.Adapter
	kv      store.Store
	github  *github.Source
}

func (b *builder) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		_ = b.closers[i]()
	}
}

func (b *builder) build() (*Node, *heraldhttp.Server, error) {
	if err := b.webhookSources(); err != nil {
		return nil, nil, err
	}
	q, el, err := b.backend()
	if err != nil {
		return nil, nil, err
	}
	router := b.env.Router
	if router == nil {
		router = chat.NewRouter()
	}
	m := metrics.New(b.env.Version)
	opt := Options{ID: b.cfg.Node.ID, Version: b.env.Version, Addr: b.cfg.HTTP.Addr,
		Backend:         b.cfg.Cluster.Mode,
		ChatConcurrency: b.cfg.Worker.ChatConcurrency, JobConcurrency: b.cfg.Worker.JobConcurrency,
		Queue: b.cfg.Queue, MaxLines: b.cfg.Chat.MaxLines, DrainTimeout: 10 * time.Second}
	parts := Parts{Queue: q, Elector: el, Router: router, Log: b.log, Metrics: m,
		NewAdapter: b.adapterFactory(), Jobs: b.jobs()}

	// Handlers hand their actions to the node, which exists only after
	// the kit it runs: the push is bound once both are made.
	var n *Node
	push := func(ctx context.Context, acts []chat.Action) error { return n.pushActions(ctx, acts) }
	kit, err := b.kit(router, q, push)
	if err != nil {
		return nil, nil, err
	}
	parts.Kit = kit
	n = New(opt, parts)
	if err := b.routes(router, n); err != nil {
		return nil, nil, err
	}
	srv, err := heraldhttp.NewServer(b.cfg.HTTP, b.httpDeps(n, q, el, m, kit), b.log)
	if err != nil {
		return nil, nil, err
	}
	return n, srv, nil
}

// backend builds the queue and the elector of the cluster mode.
func (b *builder) backend() (queue.Queue, election.Elector, error) {
	if b.cfg.Cluster.Mode == "raft" {
		return b.raftBackend()
	}
	routeRedisLog(b.log)
	cmd, block, err := redisq.NewClients(b.cfg.Redis)
	if err != nil {
		return nil, nil, err
	}
	b.closers = append(b.closers, cmd.Close, block.Close)
	ns, id := b.cfg.Cluster.Namespace, b.cfg.Node.ID
	if b.kv, err = redisstore.New(cmd, ns); err != nil {
		return nil, nil, err
	}
	q, err := redisq.New(cmd, block, ns, id, b.cfg.Queue, b.log)
	if err != nil {
		return nil, nil, err
	}
	lock, err := b.lockClients(cmd)
	if err != nil {
		return nil, nil, err
	}
	el, err := redislock.New(b.cfg.Election, cmd, lock, ns, id, b.log)
	if err != nil {
		return nil, nil, err
	}
	return q, el, nil
}

// lockClients returns the Redis servers of the lock: the queue's own, or
// the independent ones of election.redis_addrs.
func (b *builder) lockClients(cmd redis.UniversalClient) ([]redis.UniversalClient, error) {
	if len(b.cfg.Election.RedisAddrs) == 0 {
		return []redis.UniversalClient{cmd}, nil
	}
	var out []redis.UniversalClient
	for _, addr := range b.cfg.Election.RedisAddrs {
		c, block, err := redisq.NewClients(b.cfg.Redis.WithAddr(addr))
		if err != nil {
			return nil, fmt.Errorf("election.redis_addrs: %w", err)
		}
		b.closers = append(b.closers, c.Close, block.Close)
		out = append(out, c)
	}
	return out, nil
}

// adapterFactory returns how the master makes its chat adapter.
func (b *builder) adapterFactory() func() (chat.Adapter, error) {
	switch b.cfg.Chat.Adapter {
	case "irc":
		return func() (chat.Adapter, error) { return irc.New(b.cfg.Chat.IRC, b.log) }
	case "shell":
		b.shell = shell.New(b.cfg.Chat.Nick, "you", b.env.Stdin, b.env.Stdout)
		return func() (chat.Adapter, error) { return b.shell, nil }
	}
	return nil
}

// routes adds the built-in commands.
func (b *builder) routes(r *chat.Router, n *Node) error {
	if err := builtin.Register(r, n.Info); err != nil {
		return err
	}
	if b.cfg.Chat.TestCommands {
		return builtin.RegisterTestCommands(r)
	}
	return nil
}

// httpDeps connects the HTTP surface to the node.
func (b *builder) httpDeps(n *Node, q queue.Queue, el election.Elector,
	m *metrics.Metrics, kit *handler.Kit) heraldhttp.Deps {
	return heraldhttp.Deps{
		Queue:       q,
		Status:      n.Status,
		StepDown:    el.StepDown,
		DeadLetters: q,
		Sources:     b.sources(),
		Metrics:     m.Handler(),
		WebhookSeen: m.WebhookReceived,
		Handlers:    kit.HTTP,
	}
}
