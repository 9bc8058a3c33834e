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
)

// storeHeadKey holds the furthest position of the store's event log any
// replica has read (FollowStore): "<seq>:<hex hash of that event>".
const storeHeadKey = "ruqi:store-position"

// headScript raises storeHeadKey to ARGV[2] ("<seq>:<hash>") if ARGV[1],
// its sequence number, is higher, and returns what it held before ("" for
// nothing).
var headScript = goredis.NewScript(`
local seen = redis.call('GET', KEYS[1]) or ''
local seq = tonumber(string.match(seen, '^(%d+)') or '0')
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
// enterprise's state: the store was restored from a backup (or another
// store put in its place), and the states count plans it no longer holds,
// refusing registrations as duplicates of plans nobody can find, or over
// caps until the year ends (an operator's trial, 2026-12-05). Each
// enterprise is then seeded again from the store at its next decision, as
// after a restart of Redis empty.
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
func (c *Coordinator) FollowStore(ctx context.Context, log StoreLog) (int, error) {
	seq, hash, err := log.Head(ctx)
	if err != nil {
		return 0, err
	}
	seenSeq, seenHash, err := c.reportHead(ctx, seq, hash)
	if err != nil || seenSeq == 0 {
		return 0, err
	}
	if seenSeq > seq {
		if seq, hash, err = log.Head(ctx); err != nil {
			return 0, err
		}
	}
	same := false
	if seenSeq <= seq {
		at, err := log.HashAt(ctx, seenSeq)
		if err != nil {
			return 0, err
		}
		same = bytes.Equal(at, seenHash)
	}
	if same {
		return 0, nil
	}
	n, err := c.dropStates(ctx)
	if err != nil {
		return n, err
	}
	// From here on the restored store's log is the one followed.
	if err := c.client.Set(ctx, storeHeadKey, position(seq, hash), 0).Err(); err != nil {
		return n, c.fail(ctx, "set the store's head", err)
	}
	return n, nil
}

func position(seq uint64, hash []byte) string {
	return strconv.FormatUint(seq, 10) + ":" + hex.EncodeToString(hash)
}

func (c *Coordinator) reportHead(ctx context.Context, seq uint64, hash []byte) (uint64, []byte, error) {
	s, err := headScript.Run(ctx, c.client, []string{storeHeadKey}, strconv.FormatUint(seq, 10), position(seq, hash)).Text()
	if err != nil {
		return 0, nil, c.fail(ctx, "report the store's head", err)
	}
	if s == "" {
		return 0, nil, nil
	}
	n, h, ok := strings.Cut(s, ":")
	seen, err := strconv.ParseUint(n, 10, 64)
	var seenHash []byte
	if err == nil && ok {
		seenHash, err = hex.DecodeString(h)
	}
	if err != nil || !ok {
		// Not what this writes (someone's hand): followed from here.
		return 0, nil, c.client.Set(ctx, storeHeadKey, position(seq, hash), 0).Err()
	}
	return seen, seenHash, nil
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
