package node

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// redisLogOnce routes go-redis's own messages (a Sentinel switch, a pool
// warning) into the node's log once per process: the library has one
// logger for all its clients.
var redisLogOnce sync.Once

// redisLogger writes go-redis's messages as warnings with a component key.
type redisLogger struct{ log *slog.Logger }

// Printf logs one go-redis message.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	l.log.WarnContext(ctx, "redis client", "component", "go-redis", "detail", msg)
}

// routeRedisLog sends go-redis's messages to log.
func routeRedisLog(log *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{log: log}) })
}
