package redis

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// storeHeadKey holds the highest event sequence number any replica has
// read from the store (FollowStore).
const storeHeadKey = "ruqi:store-head"

// headScript raises storeHeadKey to ARGV[1] if that is higher, and returns
// what it held before.
var headScript = goredis.NewScript(`
local seen = redis.call('GET', KEYS[1]) or '0'
if tonumber(ARGV[1]) > tonumber(seen) then
	redis.call('SET', KEYS[1], ARGV[1])
end
return seen`)

// FollowStore tells Redis how far the store's event log reaches (head: the
// sequence number of its last event) and, when the store is behind what a
// replica read from it before, drops every enterprise's state: the store
// was restored from a backup (or another store put in its place), and the
// states count plans it no longer holds, refusing registrations as
// duplicates of plans nobody can find, or over caps until the year ends
// (an operator's trial, 2026-12-05). Each enterprise is then seeded again
// from the store at its next decision, as after a restart of Redis empty.
//
// Replicas read and report concurrently: one that read its head just before
// another read and reported a later one finds Redis ahead of it without
// any restore. So the store is read again (readHead) before anything is
// dropped: the other's report came after its read, which the store cannot
// be behind unless it went back. It returns how many keys were dropped.
func (c *Coordinator) FollowStore(ctx context.Context, head uint64, readHead func(context.Context) (uint64, error)) (int, error) {
	seen, err := c.reportHead(ctx, head)
	if err != nil || seen <= head {
		return 0, err
	}
	now, err := readHead(ctx)
	if err != nil || seen <= now {
		return 0, err
	}
	n, err := c.dropStates(ctx)
	if err != nil {
		return n, err
	}
	// Behind it now: from here on the restored store's log is the one
	// followed.
	if err := c.client.Set(ctx, storeHeadKey, strconv.FormatUint(now, 10), 0).Err(); err != nil {
		return n, c.fail(ctx, "set the store's head", err)
	}
	return n, nil
}

func (c *Coordinator) reportHead(ctx context.Context, head uint64) (uint64, error) {
	s, err := headScript.Run(ctx, c.client, []string{storeHeadKey}, strconv.FormatUint(head, 10)).Text()
	if err != nil {
		return 0, c.fail(ctx, "report the store's head", err)
	}
	seen, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("coord/redis: %s holds %q", storeHeadKey, s)
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
