package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// CompactStore compacts a store that can be (bbolt), with health
// NOT_SERVING meanwhile, as etcd does its defragmentation: load balancers
// and replicas' clients go elsewhere, and writes that arrive here wait.
func (a *adminServer) CompactStore(ctx context.Context, _ *ruqiv1.CompactStoreRequest) (*ruqiv1.CompactStoreResponse, error) {
	c, ok := store.As[store.Compacter](a.s.store)
	if !ok {
		return nil, toStatus(ctx, domain.FailedPreconditionf("COMPACT_NOT_NEEDED",
			"此存储由数据库自行回收空间，无需压缩；PostgreSQL 请按 docs/ARCHITECTURE.md 执行 VACUUM"))
	}
	// One at a time: a second call (an administrator trying again after
	// the CLI gave up waiting) would wait for the writer behind the first,
	// and the first's end would report SERVING while the second still ran.
	if err := a.s.maintenance.start(jobCompact); err != nil {
		return nil, toStatus(ctx, err)
	}
	defer a.s.maintenance.end()
	m := a.s.cfg.Maintenance
	if m != nil {
		m(true)
	}
	slog.InfoContext(ctx, "compacting the store: health NOT_SERVING until done")
	rep, err := c.Compact(ctx)
	if m != nil && !errors.Is(err, store.ErrUnusable) {
		m(false) // a store left unusable stays NOT_SERVING
	}
	if errors.Is(err, store.ErrNoSpace) {
		slog.WarnContext(ctx, "compaction: disk full", "err", err)
		return nil, toStatus(ctx, domain.ResourceExhaustedf("COMPACT_NO_SPACE", "数据目录所在磁盘空间不足，无法压缩：压缩先写出一份新文件（约为压缩后的大小），原文件保持不变、照常使用；请腾出空间后再压缩"))
	}
	if err != nil {
		return nil, maintenanceStatus(ctx, err)
	}
	resp := &ruqiv1.CompactStoreResponse{BytesBefore: rep.BytesBefore, BytesAfter: rep.BytesAfter, Took: durationpb.New(rep.Took)}
	if st, ok := store.As[interface{ Stats() store.Stats }](a.s.store); ok {
		resp.Plans = st.Stats().Plans
	}
	slog.InfoContext(ctx, "store compacted", "bytes_before", rep.BytesBefore, "bytes_after", rep.BytesAfter, "took", rep.Took)
	return resp, nil
}

// maintenanceJob is the one compaction or backup running. A compaction's
// swap waits for a backup's read, and every read waits behind the swap;
// the store refuses the second too (store.ErrMaintenanceRunning), but a
// compaction refused only there would have reported NOT_SERVING for
// nothing.
type maintenanceJob struct {
	mu      sync.Mutex
	running string
}

const (
	jobCompact = "compact"
	jobBackup  = "backup"
)

// start takes the slot for job, or says what holds it.
func (m *maintenanceJob) start(job string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch m.running {
	case "":
		m.running = job
		return nil
	case jobCompact:
		return domain.FailedPreconditionf("COMPACT_IN_PROGRESS", "存储压缩正在进行，请等它结束后再试（健康检查在此期间为 NOT_SERVING）")
	default:
		return domain.FailedPreconditionf("BACKUP_IN_PROGRESS", "数据文件正在备份，请等它结束后再试（刚中断的备份，服务器随即放弃；连接意外断开时最长约两分钟）")
	}
}

func (m *maintenanceJob) end() {
	m.mu.Lock()
	m.running = ""
	m.mu.Unlock()
}
