package sim

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Ed25519PerSecond is the limit a scan rate is compared with: raw Ed25519
// verifications (crypto/ed25519, one 219-byte message, the size of a code's
// COSE message) per second on every core this process may use
// (GOMAXPROCS goroutines verifying for d). The load tool measures it before
// and after a scan run, in the same run, so that the ratio does not depend
// on how busy the shared machine was on another day.
//
// It returns verifications per second of wall time and per CPU-second this
// process used meanwhile: on a shared machine the second is the steadier.
//
// verify is the check measured: crypto/ed25519.Verify, the limit,
// or code.Ed25519Verify, the one the server makes (curve25519-voi with the
// key expanded once).
func Ed25519PerSecond(d time.Duration, verify func(ed25519.PublicKey, []byte, []byte) bool) (perSecond, perCPUSecond float64) {
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	msg := make([]byte, 219)
	sig := ed25519.Sign(key, msg)
	pub := key.Public().(ed25519.PublicKey)
	var n atomic.Uint64
	var wg sync.WaitGroup
	cpu0 := cpuSeconds()
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var k uint64
			for time.Since(start) < d {
				for range 16 {
					if !verify(pub, msg, sig) {
						panic("ed25519: a good signature did not verify")
					}
				}
				k += 16
			}
			n.Add(k)
		}()
	}
	wg.Wait()
	wall, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
	perSecond = float64(n.Load()) / wall
	if cpu > 0 {
		perCPUSecond = float64(n.Load()) / cpu
	}
	return perSecond, perCPUSecond
}

// cpuSeconds is the user and system time this process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// serverCPUSeconds reads process_cpu_seconds_total from a server's
// /metrics (0 and an error if it cannot).
func serverCPUSeconds(ctx context.Context, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_cpu_seconds_total "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("%s: no process_cpu_seconds_total", url)
}
