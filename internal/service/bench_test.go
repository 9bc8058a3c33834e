package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/draw"
	"github.com/ruqi/ruqi/internal/sample"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/cache"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	"github.com/ruqi/ruqi/internal/web"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Benchmarks of the hot paths through the whole service: gRPC (in process,
// with the auth interceptor), domain checks, coordinator, bbolt with fsync.
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/service/
//
// Compare BenchmarkScan with internal/code's BenchmarkEd25519VerifyRaw, and
// BenchmarkRegister/redis with coord/redis's BenchmarkEvalshaNoop and
// redis-benchmark (tools/bench.sh runs them together).

// clientsPerCPU × GOMAXPROCS concurrent callers, as a server sees many
// officers and enterprises at once: the store's group commit shares one
// fsync among the writes that arrive together.
const clientsPerCPU = 8

type env struct {
	cc    grpc.ClientConnInterface
	admin string
	dir   *ruqiv1.Directory
	svc   *service.Service
}

// newEnv is a service on a fresh bbolt file in process, through Redis at
// redisAddr when one is given.
func newEnv(b testing.TB, redisAddr string) *env {
	b.Helper()
	st, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	return newEnvOn(b, st, redisAddr)
}

// newEnvOn is newEnv on a given store, which it closes at the end; configure,
// if given, changes the service's configuration (its clock, say).
func newEnvOn(b testing.TB, st store.Store, redisAddr string, configure ...func(*service.Config)) *env {
	b.Helper()
	newCoord := func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil }
	if redisAddr != "" {
		newCoord = func(seed coord.Seeder) (coord.Coordinator, error) { return coordredis.Dial(redisAddr, seed) }
	}
	return newEnvWith(b, st, newCoord, configure...)
}

// newEnvWith is newEnvOn with the coordinator newCoord makes.
func newEnvWith(b testing.TB, st store.Store, newCoord func(coord.Seeder) (coord.Coordinator, error), configure ...func(*service.Config)) *env {
	b.Helper()
	b.Cleanup(func() { st.Close() })
	cfg := service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example"}
	for _, c := range configure {
		c(&cfg)
	}
	svc, err := service.New(context.Background(), st, cfg, newCoord)
	if err != nil {
		b.Fatal(err)
	}
	admin, _, _, _ := auth.NewToken()
	if err := svc.EnsureAdminToken(context.Background(), admin); err != nil {
		b.Fatal(err)
	}
	cc, stop, err := web.InProcess(svc.Register, grpc.ChainUnaryInterceptor(auth.UnaryInterceptor(svc.LookupToken)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "directory.json"))
	if err != nil {
		b.Fatal(err)
	}
	e := &env{cc: cc, admin: admin, dir: &ruqiv1.Directory{}, svc: svc}
	if err := protojson.Unmarshal(raw, e.dir); err != nil {
		b.Fatal(err)
	}
	if _, err := ruqiv1.NewDirectoryServiceClient(cc).ImportDirectory(e.as(admin), &ruqiv1.ImportDirectoryRequest{Directory: e.dir}); err != nil {
		b.Fatal(err)
	}
	return e
}

func (e *env) as(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

func (e *env) token(b testing.TB, role ruqiv1.Role, subject string) string {
	resp, err := ruqiv1.NewAdminServiceClient(e.cc).IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: role, Subject: subject})
	if err != nil {
		b.Fatal(err)
	}
	return resp.GetToken()
}

// registrar registers 个案 plans (never capped) of one agency in windows
// that never overlap, so every call is an accepted write.
type registrar struct {
	e        *env
	agency   string
	tok      string
	items    []string
	officers []string
	base     time.Time
	n        atomic.Int64
}

func (e *env) registrar(b testing.TB, agency string) *registrar {
	r := &registrar{e: e, agency: agency, base: time.Now().Add(time.Hour)}
	now := time.Now().AddDate(0, 1, 0)
	for _, o := range e.dir.GetOfficers() {
		if o.GetAgencyId() == agency && domain.CertificateValid(o, now) {
			r.officers = append(r.officers, o.GetId())
		}
	}
	for _, it := range e.dir.GetCheckItems() {
		if it.GetAgencyId() == agency && !it.GetRetired() {
			r.items = append(r.items, it.GetId())
		}
	}
	r.tok = e.token(b, ruqiv1.Role_ROLE_OFFICER, r.officers[0])
	return r
}

func (r *registrar) register(uscc string, start time.Time) (*ruqiv1.RegisterInspectionResponse, error) {
	i := r.n.Add(1)
	return ruqiv1.NewInspectionServiceClient(r.e.cc).RegisterInspection(r.e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Minute)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: fmt.Sprintf("B-%d", i), Reason: "基准测试",
	})
}

func benchRegister(b *testing.B, e *env) {
	r := e.registrar(b, "AG-01")
	ents := e.dir.GetEnterprises()
	var slot atomic.Int64
	b.SetParallelism(clientsPerCPU)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := slot.Add(1) - 1
			start := r.base.Add(time.Duration(i/int64(len(ents))) * 2 * time.Minute)
			if _, err := r.register(ents[i%int64(len(ents))].GetUscc(), start); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRegister(b *testing.B) {
	b.Run("local", func(b *testing.B) { benchRegister(b, newEnv(b, "")) })
	b.Run("redis", func(b *testing.B) { benchRegister(b, newEnv(b, redistest.Start(b).Addr())) })
	// On PostgreSQL (fsync on) with Redis: the replicas' configuration.
	b.Run("postgres+redis", func(b *testing.B) {
		st, err := postgres.Open(context.Background(), pgtest.Start(b, pgtest.WithFsync()).NewDatabase(b)+"&pool_max_conns=16", postgres.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		benchRegister(b, newEnvOn(b, st, redistest.Start(b).Addr()))
	})
	// Behind the read cache, as the server runs: within a write the
	// enterprise is read from the transaction, the rest from memory.
	b.Run("postgres+redis/cached", func(b *testing.B) {
		st, err := postgres.Open(context.Background(), pgtest.Start(b, pgtest.WithFsync()).NewDatabase(b)+"&pool_max_conns=16", postgres.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		benchRegister(b, newEnvOn(b, cache.New(st, cache.Options{}), redistest.Start(b).Addr()))
	})
}

// BenchmarkScan: enterprises scan valid codes, in parallel; each scan
// verifies the signature, reads the inspection, officer and directory, and
// writes the check-in and its event (fsync shared by the batch).
//
// /cached reads tokens and the directory through internal/store/cache, as
// the server does; /store reads them from bbolt each time.
func BenchmarkScan(b *testing.B) {
	b.Run("store", func(b *testing.B) { benchmarkScan(b, false) })
	b.Run("cached", func(b *testing.B) { benchmarkScan(b, true) })
}

func benchmarkScan(b *testing.B, cached bool) {
	st, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	var s store.Store = st
	if cached {
		s = cache.New(st, cache.Options{})
	}
	e := newEnvOn(b, s, "")
	r := e.registrar(b, "AG-01")
	const n = 64
	codes := make([]string, n)
	tokens := make([]string, n)
	for i := 0; i < n; i++ {
		uscc := e.dir.GetEnterprises()[i].GetUscc()
		resp, err := r.register(uscc, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = resp.GetCodes()[0].GetUrl()
		tokens[i] = e.token(b, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	}
	var next atomic.Int64
	b.SetParallelism(clientsPerCPU)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) % n
			resp, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(tokens[i]), &ruqiv1.ScanCodeRequest{Code: codes[i]})
			if err != nil || resp.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
				b.Errorf("scan: %v %v", resp.GetVerdict(), err)
				return
			}
		}
	})
}

// BenchmarkCommitDraw commits a 双随机 draw over the largest enterprise
// population one draw may list (20,000), every member checked against the
// directory in the committing transaction. On PostgreSQL that check is
// what the population costs.
func BenchmarkCommitDraw(b *testing.B) {
	b.Run("bolt", func(b *testing.B) {
		st, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		benchCommitDraw(b, st)
	})
	b.Run("postgres", func(b *testing.B) {
		st, err := postgres.Open(context.Background(), pgtest.Start(b, pgtest.WithFsync()).NewDatabase(b), postgres.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		benchCommitDraw(b, st)
	})
}

func benchCommitDraw(b *testing.B, st store.Store) {
	e := newEnvOn(b, st, "")
	population := sample.EnterpriseRange(sample.Options{Seed: 2, Enterprises: draw.MaxEnterprises, RegionCode: "510100"}, 0, draw.MaxEnterprises)
	usccs := make([]string, len(population))
	for lo := 0; lo < len(population); lo += 5000 {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			for i, ent := range population[lo:min(lo+5000, len(population))] {
				usccs[lo+i] = ent.GetUscc()
				if err := tx.PutEnterprise(ent); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	tok := e.token(b, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")
	draws := ruqiv1.NewDrawServiceClient(e.cc)
	b.ResetTimer()
	for i := range b.N {
		_, err := draws.CommitDraw(e.as(tok), &ruqiv1.CommitDrawRequest{Title: fmt.Sprintf("基准抽取 %d", i),
			EnterprisePopulation: usccs, EnterpriseCount: 10})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(usccs)), "enterprises/op")
}
