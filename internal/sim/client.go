package sim

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// client makes calls as one principal or another over one connection: each
// call carries its own bearer token.
type client struct {
	cc      grpc.ClientConnInterface
	timeout time.Duration

	dir  ruqiv1.DirectoryServiceClient
	ins  ruqiv1.InspectionServiceClient
	ent  ruqiv1.EnterpriseServiceClient
	adm  ruqiv1.AdminServiceClient
	rep  ruqiv1.ReportServiceClient
	plan ruqiv1.PlanServiceClient

	rpcs atomic.Int64
	// paced counts the calls the server held back for their rate.
	paced *rateWaiting
}

func newClient(cc grpc.ClientConnInterface, timeout time.Duration) *client {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	rw := &rateWaiting{ClientConnInterface: cc}
	cc = rw
	return &client{
		cc: cc, timeout: timeout, paced: rw,
		dir:  ruqiv1.NewDirectoryServiceClient(cc),
		ins:  ruqiv1.NewInspectionServiceClient(cc),
		ent:  ruqiv1.NewEnterpriseServiceClient(cc),
		adm:  ruqiv1.NewAdminServiceClient(cc),
		rep:  ruqiv1.NewReportServiceClient(cc),
		plan: ruqiv1.NewPlanServiceClient(cc),
	}
}

// as returns a context for one call as the holder of token, bounded by the
// per-call timeout.
func (c *client) as(ctx context.Context, token string) (context.Context, context.CancelFunc) {
	return c.asFor(ctx, token, c.timeout)
}

// asFor is as with its own timeout.
func (c *client) asFor(ctx context.Context, token string, d time.Duration) (context.Context, context.CancelFunc) {
	c.rpcs.Add(1)
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	return context.WithTimeout(ctx, d)
}

// tokenKey names a principal.
type tokenKey struct {
	role    ruqiv1.Role
	subject string
}

type tokenEntry struct {
	once sync.Once
	tok  string
	err  error
}

// tokens issues access tokens on first use, once per principal, with the
// administrator's token. It holds at most maxTokens of them, the least
// recently used forgotten: a province-year touches some 640,000 enterprises,
// each in its own block of plans (GenerateBlocks), so a token is rarely
// needed once its block is done; one that is gets issued anew.
type tokens struct {
	c     *client
	admin string
	mu    sync.Mutex
	m     *lru.Cache[tokenKey, *tokenEntry]
	// issued counts by role: officers, enterprises.
	officers, enterprises atomic.Int64
}

func newTokens(c *client, admin string) *tokens {
	m, _ := lru.New[tokenKey, *tokenEntry](maxTokens) // only a size ≤ 0 fails
	return &tokens{c: c, admin: admin, m: m}
}

// maxTokens bounds the simulator's tokens (about 200 bytes each): all the
// officers of a province (20,000) and the enterprises of the blocks under
// way.
const maxTokens = 100_000

// get returns the principal's token, issuing it the first time.
func (t *tokens) get(ctx context.Context, role ruqiv1.Role, subject string) (string, error) {
	k := tokenKey{role, subject}
	t.mu.Lock()
	e, ok := t.m.Get(k)
	if !ok {
		e = &tokenEntry{}
		t.m.Add(k, e)
	}
	t.mu.Unlock()
	e.once.Do(func() {
		cctx, cancel := t.c.as(ctx, t.admin)
		defer cancel()
		resp, err := t.c.adm.IssueAccessToken(cctx, &ruqiv1.IssueAccessTokenRequest{
			Role: role, Subject: subject, Description: "ruqi simulate（模拟）",
		})
		if err != nil {
			e.err = err
			return
		}
		e.tok = resp.GetToken()
		switch role {
		case ruqiv1.Role_ROLE_OFFICER:
			t.officers.Add(1)
		case ruqiv1.Role_ROLE_ENTERPRISE:
			t.enterprises.Add(1)
		}
	})
	if e.err != nil && ctx.Err() == nil && isTransient(e.err) {
		// Let a later call try again after a transient failure.
		t.mu.Lock()
		if cur, ok := t.m.Peek(k); ok && cur == e {
			t.m.Remove(k)
		}
		t.mu.Unlock()
	}
	return e.tok, e.err
}

func isTransient(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

// ErrNotAdmin is returned when the token given is not an administrator's.
var ErrNotAdmin = errors.New("需要管理员令牌：导入名录和签发令牌只有管理员可以办理（--token 或 --token-file）")

// adminRefused reports whether err says the caller is not an administrator.
func adminRefused(err error) bool {
	c := status.Code(err)
	return c == codes.PermissionDenied || c == codes.Unauthenticated
}

// chunkLimit bounds the size of one ImportDirectory message, well under the
// server's 1 MiB per message (serve.MaxMessageBytes).
const chunkLimit = 512 << 10

// ChunkDirectory splits a directory into messages of at most about
// chunkLimit bytes: agencies first (the server checks that officers and
// items name an agency in the message or already stored), then check items,
// officers and enterprises.
func ChunkDirectory(d *ruqiv1.Directory) []*ruqiv1.Directory {
	var out []*ruqiv1.Directory
	cur := &ruqiv1.Directory{Sample: d.GetSample(), Description: d.GetDescription()}
	base := proto.Size(cur)
	size := base
	flush := func() {
		if len(cur.Agencies)+len(cur.Officers)+len(cur.Enterprises)+len(cur.CheckItems) > 0 {
			out = append(out, cur)
		}
		cur = &ruqiv1.Directory{Sample: d.GetSample(), Description: d.GetDescription()}
		size = base
	}
	add := func(n int) {
		// n bytes of the record, plus tag and length.
		if size+n+8 > chunkLimit {
			flush()
		}
		size += n + 8
	}
	for _, a := range d.GetAgencies() {
		add(proto.Size(a))
		cur.Agencies = append(cur.Agencies, a)
	}
	flush()
	for _, it := range d.GetCheckItems() {
		add(proto.Size(it))
		cur.CheckItems = append(cur.CheckItems, it)
	}
	for _, o := range d.GetOfficers() {
		add(proto.Size(o))
		cur.Officers = append(cur.Officers, o)
	}
	for _, e := range d.GetEnterprises() {
		add(proto.Size(e))
		cur.Enterprises = append(cur.Enterprises, e)
	}
	flush()
	return out
}

// importRange is how many enterprises are generated at a time for import.
const importRange = 10000

// importDirectory imports d and then ents (enterprises generated a range
// at a time; none for a directory held whole), in chunks, one after the
// other. It returns the chunks imported.
// directoryOnServer checks, before --skip-import simulates, that the
// server holds the directory these options generate: its first and last
// enterprise, by code and name. A seed or size other than the import's
// generated another directory, and every registration then failed on
// unknown enterprises and officers, thousands of errors that did not say
// why.
func directoryOnServer(ctx context.Context, c *client, admin string, ents Enterprises, seed int64) error {
	if ents.N == 0 {
		return nil
	}
	for _, i := range []int{0, ents.N - 1} {
		want := ents.Range(i, i+1)[0]
		cctx, cancel := c.asFor(ctx, admin, c.timeout)
		got, err := c.dir.GetEnterprise(cctx, &ruqiv1.GetEnterpriseRequest{Uscc: want.GetUscc()})
		cancel()
		if status.Code(err) == codes.NotFound || err == nil && got.GetEnterprise().GetName() != want.GetName() {
			return fmt.Errorf("服务器上的名录不是以 --seed %d、%d 家企业生成的（没有企业 %s %s）：请用导入名录时的 --seed 和规模，或去掉 --skip-import 重新导入", seed, ents.N, want.GetUscc(), want.GetName())
		}
		if err != nil {
			if adminRefused(err) {
				return fmt.Errorf("%w（%s）", ErrNotAdmin, status.Convert(err).Message())
			}
			return fmt.Errorf("核对服务器上的名录失败：%w", err)
		}
	}
	return nil
}

func importDirectory(ctx context.Context, c *client, admin string, d *ruqiv1.Directory, ents Enterprises, prog Progress) (int, error) {
	prog.Start("导入名录", len(d.GetAgencies())+len(d.GetCheckItems())+len(d.GetOfficers())+len(d.GetEnterprises())+ents.N)
	defer prog.Done()
	done := 0
	send := func(chunks []*ruqiv1.Directory) error {
		for _, ch := range chunks {
			// A chunk of thousands of records is one transaction: give it
			// more time than an ordinary call.
			cctx, cancel := c.asFor(ctx, admin, max(c.timeout, 2*time.Minute))
			_, err := c.dir.ImportDirectory(cctx, &ruqiv1.ImportDirectoryRequest{Directory: ch})
			cancel()
			if err != nil {
				if adminRefused(err) {
					return fmt.Errorf("%w（%s）", ErrNotAdmin, status.Convert(err).Message())
				}
				return fmt.Errorf("导入名录第 %d 批失败：%w", done+1, err)
			}
			done++
			prog.Add(len(ch.GetAgencies()) + len(ch.GetCheckItems()) + len(ch.GetOfficers()) + len(ch.GetEnterprises()))
		}
		return nil
	}
	if err := send(ChunkDirectory(d)); err != nil {
		return done, err
	}
	for lo := 0; lo < ents.N; lo += importRange {
		part := &ruqiv1.Directory{Sample: d.GetSample(), Description: d.GetDescription(), Enterprises: ents.Range(lo, min(lo+importRange, ents.N))}
		if err := send(ChunkDirectory(part)); err != nil {
			return done, err
		}
	}
	return done, nil
}

// errorCounts counts failed calls by gRPC code and by call, keeping one
// message of each for the summary.
type errorCounts struct {
	mu      sync.Mutex
	byCode  map[string]int
	byCall  map[string]int
	samples map[string]string
}

func newErrorCounts() *errorCounts {
	return &errorCounts{byCode: map[string]int{}, byCall: map[string]int{}, samples: map[string]string{}}
}

func (e *errorCounts) add(call string, err error) {
	st := status.Convert(err)
	code := st.Code().String()
	key := call + " " + code
	e.mu.Lock()
	defer e.mu.Unlock()
	e.byCode[code]++
	e.byCall[key]++
	if _, ok := e.samples[key]; !ok {
		e.samples[key] = st.Message()
	}
}

// ErrorCount is the failures of one call with one code.
type ErrorCount struct {
	Call    string `json:"call"`
	Code    string `json:"code"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"`
}

func (e *errorCounts) snapshot() (map[string]int, []ErrorCount) {
	e.mu.Lock()
	defer e.mu.Unlock()
	byCode := make(map[string]int, len(e.byCode))
	for k, v := range e.byCode {
		byCode[k] = v
	}
	var list []ErrorCount
	for k, v := range e.byCall {
		var call, code string
		for i := len(k) - 1; i >= 0; i-- {
			if k[i] == ' ' {
				call, code = k[:i], k[i+1:]
				break
			}
		}
		list = append(list, ErrorCount{Call: call, Code: code, Count: v, Example: e.samples[k]})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Count != list[j].Count {
			return list[i].Count > list[j].Count
		}
		return list[i].Call+list[i].Code < list[j].Call+list[j].Code
	})
	return byCode, list
}
