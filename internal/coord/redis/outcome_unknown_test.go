package redis

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/coordtest/storeseed"
	"github.com/ruqi/ruqi/internal/redisconn"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
)

// cutProxy forwards to Redis until cut: then requests still reach Redis on
// the connections open, their replies are dropped, and new connections are
// refused (a path to Redis lost after the request went, a proxy or a
// failover address that went away).
type cutProxy struct {
	ln  net.Listener
	cut atomic.Bool
}

func startProxy(t *testing.T, to string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			go io.Copy(r, c)
			go func() {
				buf := make([]byte, 32<<10)
				for {
					n, err := r.Read(buf)
					if err != nil {
						return
					}
					if !p.cut.Load() {
						c.Write(buf[:n])
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *cutProxy) doCut() { p.cut.Store(true); p.ln.Close() }

// A decision whose script reached Redis and ran, its reply lost, and whose
// client's one retry could not connect, is coord.ErrOutcomeUnknown:
// go-redis answers the last try's error, a refused dial, which was taken
// for "nothing was sent" (a review, 2026-12-07), so that the reservation
// was left for the whole hold.
func TestDecide_ReplyLostThenRefused_OutcomeUnknown(t *testing.T) {
	srv := redistest.Start(t)
	rec := storeseed.Bolt(t)
	p := startProxy(t, srv.Addr())
	target, err := redisconn.Parse(p.ln.Addr().String(), "")
	if err != nil {
		t.Fatal(err)
	}
	c := Open(target, rec.Seed)
	t.Cleanup(func() { c.Close() })
	uscc := freshUSCC()
	now := coordtest.Now()
	pol := coord.Policy{Zone: coordtest.Beijing}
	warm := coord.Plan{InspectionID: "INS-WARM", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-25 09:00"), End: at("2026-11-25 10:00"), Grade: "B"}
	if _, err := c.Decide(ctx, warm, pol, now); err != nil { // seeded, the script loaded, a connection open
		t.Fatal(err)
	}
	p.doCut()
	x := coord.Plan{InspectionID: "INS-X", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-26 09:00"), End: at("2026-11-26 10:00"), Grade: "B", ConfirmBy: now.Add(30 * time.Second)}
	_, err = c.Decide(ctx, x, pol, now)
	t.Logf("decide: %v", err)
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	k, _ := keysOf(uscc)
	time.Sleep(100 * time.Millisecond)
	ran, _ := rdb.HExists(ctx, k.state(), "INS-X").Result()
	if !ran {
		t.Fatal("the script did not reach Redis: the proxy did not cut after forwarding")
	}
	if !errors.Is(err, coord.ErrOutcomeUnknown) {
		t.Errorf("X is reserved in Redis, but the error is not ErrOutcomeUnknown: %v", err)
	}
}

// The same with Redis stalled (SIGSTOP) past the client's read timeout, a
// connection open: the script runs when Redis continues.
func TestDecide_RedisStalled_OutcomeUnknown(t *testing.T) {
	srv := redistest.Start(t)
	rec := storeseed.Bolt(t)
	target, _ := redisconn.Parse(srv.Addr(), "")
	c := Open(target, rec.Seed)
	t.Cleanup(func() { c.Close() })
	uscc := freshUSCC()
	now := coordtest.Now()
	pol := coord.Policy{Zone: coordtest.Beijing}
	warm := coord.Plan{InspectionID: "INS-WARM", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-25 09:00"), End: at("2026-11-25 10:00"), Grade: "B"}
	if _, err := c.Decide(ctx, warm, pol, now); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	x := coord.Plan{InspectionID: "INS-X", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-26 09:00"), End: at("2026-11-26 10:00"), Grade: "B", ConfirmBy: now.Add(30 * time.Second)}
	_, err := c.Decide(ctx, x, pol, now)
	srv.Resume()
	t.Logf("decide: %v", err)
	if !errors.Is(err, coord.ErrOutcomeUnknown) {
		t.Errorf("not ErrOutcomeUnknown: %v", err)
	}
}
