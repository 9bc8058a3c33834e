package redis

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/coord"
)

// storeHeadKey holds the furthest position of the store's event log any
// replica has read (FollowStore), and whose log it is:
// "<seq>:<hex hash of that event>:<hex hash of the first event>". A value
// without the third part (written before 2026-12-05) names no log; the
// next report that raises it does.
const storeHeadKey = "ruqi:store-position"

// headScript raises storeHeadKey to ARGV[2] ("<seq>:<hash>:<first>") if
// ARGV[1], its sequence number, is higher and the key names no other first
// event than ARGV[3], and returns what it held before ("" for nothing).
// Another store's report never moves it: the first store to report keeps
// the Redis.
var headScript = goredis.NewScript(`
local seen = redis.call('GET', KEYS[1]) or ''
local seq = tonumber(string.match(seen, '^(%d+)') or '0')
local first = string.match(seen, '^%d+:%x*:(%x+)$')
if first and ARGV[3] ~= '' and first ~= ARGV[3] then
	return seen
end
if tonumber(ARGV[1]) > seq then
	redis.call('SET', KEYS[1], ARGV[2])
end
return seen`)

// StoreLog is what FollowStore reads of the store's event log.
type StoreLog interface {
	// Head is the sequence number and hash of the log's last event (0 and
	// nil for an empty log).
	Head(ctx context.Context) (uint64, []byte, error)
	// HashAt is the hash of event seq, nil if the log is shorter.
	HashAt(ctx context.Context, seq uint64) ([]byte, error)
}

// FollowStore tells Redis how far the store's event log reaches and, when
// the store's log is not the one a replica read before, drops every
// enterprise's state: the store was restored from a backup, and the states
// count plans it no longer holds, refusing registrations as duplicates of
// plans nobody can find, or over caps until the year ends (an operator's
// trial, 2026-12-05). Each enterprise is then seeded again from the store
// at its next decision, as after a restart of Redis empty.
//
// Not the one read before: shorter than the furthest position a replica
// reported, or holding another event there (a history that went another
// way after the backup: the wrong backup restored and served, then the
// right one, longer; a second trial, 2026-12-05). Replicas read and report
// concurrently: one that read its head just before another read and
// reported a later one finds Redis ahead of it without any restore, so the
// store is read again before it is taken to be behind: the other's report
// came after its read, which the store cannot be behind unless it went
// back. It returns how many keys were dropped.
//
// A log that begins with another first event is not a restore but another
// store: two deployments given one Redis. Dropping would make each drop
// the other's states at every report, and decide on counts of the other's
// plans in between; so nothing is dropped or moved, and FollowStore
// returns coord.ErrAnotherStore, which the first store to report never
// gets.
func (c *Coordinator) FollowStore(ctx context.Context, log StoreLog) (int, error) {
	seq, hash, err := log.Head(ctx)
	if err != nil {
		return 0, err
	}
	if seq == 0 {
		// A log with no event yet names no log: it could be another
		// store's first start (PostgreSQL sequences a new store's first
		// events after the server reports), which must not take the Redis
		// for a restore of the one that reported first (a review,
		// 2026-12-05). It reports once it has an event.
		return 0, nil
	}
	first, err := log.HashAt(ctx, 1)
	if err != nil {
		return 0, err
	}
	seen, err := c.reportHead(ctx, logPosition{seq, hash, first})
	if err != nil || seen.seq == 0 {
		return 0, err
	}
	if seen.first != nil && first != nil && !bytes.Equal(seen.first, first) {
		return 0, fmt.Errorf("%w (its first event %.8x…, this store's %.8x…)", coord.ErrAnotherStore, seen.first, first)
	}
	if seen.seq > seq {
		if seq, hash, err = log.Head(ctx); err != nil {
			return 0, err
		}
	}
	same := false
	if seen.seq <= seq {
		at, err := log.HashAt(ctx, seen.seq)
		if err != nil {
			return 0, err
		}
		same = bytes.Equal(at, seen.hash)
	}
	if same {
		return 0, nil
	}
	n, err := c.dropStates(ctx)
	if err != nil {
		return n, err
	}
	// From here on the restored store's log is the one followed, unless
	// another store's report named its own log in between.
	taken, err := setHeadScript.Run(ctx, c.client, []string{storeHeadKey}, logPosition{seq, hash, first}.String(), hex.EncodeToString(first)).Int()
	if err != nil {
		return n, c.fail(ctx, "set the store's head", err)
	}
	if taken == 0 {
		return n, fmt.Errorf("%w (it named its log while this replica dropped the states)", coord.ErrAnotherStore)
	}
	return n, nil
}

// setHeadScript sets storeHeadKey to ARGV[1] unless it names a first event
// other than ARGV[2]; it returns 1 if it set it.
var setHeadScript = goredis.NewScript(`
local seen = redis.call('GET', KEYS[1]) or ''
local first = string.match(seen, '^%d+:%x*:(%x+)$')
if first and first ~= ARGV[2] then
	return 0
end
redis.call('SET', KEYS[1], ARGV[1])
return 1`)

// logPosition is an event of a store's log: its sequence number and hash,
// and the hash of the log's first event, which names the log.
type logPosition struct {
	seq         uint64
	hash, first []byte
}

func (p logPosition) String() string {
	return strconv.FormatUint(p.seq, 10) + ":" + hex.EncodeToString(p.hash) + ":" + hex.EncodeToString(p.first)
}

// parsePosition reads what String writes, and the two-part form written
// before the first event was named (first nil).
func parsePosition(s string) (logPosition, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return logPosition{}, false
	}
	var p logPosition
	var err error
	if p.seq, err = strconv.ParseUint(parts[0], 10, 64); err != nil {
		return logPosition{}, false
	}
	if p.hash, err = hex.DecodeString(parts[1]); err != nil {
		return logPosition{}, false
	}
	if len(parts) == 3 && parts[2] != "" {
		if p.first, err = hex.DecodeString(parts[2]); err != nil {
			return logPosition{}, false
		}
	}
	return p, true
}

// reportHead raises Redis's position to at, unless it names another log,
// and returns what it held (seq 0 for nothing).
func (c *Coordinator) reportHead(ctx context.Context, at logPosition) (logPosition, error) {
	s, err := headScript.Run(ctx, c.client, []string{storeHeadKey}, strconv.FormatUint(at.seq, 10), at.String(), hex.EncodeToString(at.first)).Text()
	if err != nil {
		return logPosition{}, c.fail(ctx, "report the store's head", err)
	}
	if s == "" {
		return logPosition{}, nil
	}
	seen, ok := parsePosition(s)
	if !ok {
		// Not what this writes (someone's hand): followed from here.
		return logPosition{}, c.client.Set(ctx, storeHeadKey, at.String(), 0).Err()
	}
	return seen, nil
}

// dropStates unlinks every enterprise's keys (ruqi:{USCC}:…), on every
// master of a cluster.
func (c *Coordinator) dropStates(ctx context.Context) (int, error) {
	var n atomic.Int64 // masters are walked at once
	drop := func(ctx context.Context, node *goredis.Client) error {
		iter := node.Scan(ctx, 0, "ruqi:{*", 1000).Iterator()
		var batch []string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := node.Unlink(ctx, batch...).Err()
			n.Add(int64(len(batch)))
			batch = batch[:0]
			return err
		}
		for iter.Next(ctx) {
			if batch = append(batch, iter.Val()); len(batch) == 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	var err error
	switch cl := c.client.(type) {
	case *goredis.ClusterClient:
		err = cl.ForEachMaster(ctx, drop)
	case *goredis.Client:
		err = drop(ctx, cl)
	default:
		err = fmt.Errorf("a client of type %T", c.client)
	}
	if err != nil {
		return int(n.Load()), c.fail(ctx, "drop the enterprises' states", err)
	}
	return int(n.Load()), nil
}
