package service

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// backupChunk is the most data one message carries: well under gRPC's
// default 4 MiB limit on what a client receives.
const backupChunk = 1 << 20

// BackupStore streams a consistent copy of a store that makes its own
// (bbolt) while the server goes on serving, as etcd's snapshot does: a
// header, the bytes in chunks, and their SHA-256, which the client checks
// before it keeps the file. The act is an event in the log, written before
// a byte is sent (and so the copy's own last event but for writes in
// between): the copy holds every record, the code signing keys' seeds too,
// and a client that took the bytes and left must not leave it unrecorded
// (a read-only review, 2026-12-04). No event, no copy.
func (a *adminServer) BackupStore(_ *ruqiv1.BackupStoreRequest, stream grpc.ServerStreamingServer[ruqiv1.BackupStoreResponse]) error {
	ctx := stream.Context()
	b, ok := store.As[store.Backuper](a.s.store)
	if !ok {
		return toStatus(ctx, domain.FailedPreconditionf("BACKUP_BY_DATABASE",
			"此存储（PostgreSQL）由数据库自行备份：请用 pg_basebackup 或 pg_dump（见 README）"))
	}
	if err := a.s.maintenance.start(jobBackup); err != nil {
		return toStatus(ctx, err)
	}
	defer a.s.maintenance.end()
	e := newEvent(ctx, a.s.now(), ruqiv1.EventType_EVENT_TYPE_STORE_BACKED_UP)
	e.Detail = "a copy of the whole store, signing keys included"
	if err := a.s.store.Update(ctx, func(tx store.Tx) error { return record(tx, e) }); err != nil {
		return toStatus(ctx, err)
	}
	start := time.Now()
	out := &chunker{send: stream.Send, sum: sha256.New(), buf: make([]byte, 0, backupChunk)}
	var info store.BackupInfo
	err := b.Backup(ctx, func(i store.BackupInfo) error {
		info = i
		return stream.Send(&ruqiv1.BackupStoreResponse{Part: &ruqiv1.BackupStoreResponse_Header{Header: &ruqiv1.BackupHeader{
			Size: i.Bytes, LastEventSeq: i.LastEvent, TakenAt: timestamppb.New(a.s.now()),
		}}})
	}, out)
	if err == nil {
		err = out.flush()
	}
	if err == nil {
		err = stream.Send(&ruqiv1.BackupStoreResponse{Part: &ruqiv1.BackupStoreResponse_Trailer{Trailer: &ruqiv1.BackupTrailer{Sha256: out.sum.Sum(nil)}}})
	}
	if err != nil {
		slog.WarnContext(ctx, "store backup not delivered", "err", err, "sent_bytes", out.sent)
		if cerr := ctx.Err(); cerr != nil {
			return toStatus(ctx, cerr) // the client went away, or the server is stopping
		}
		return maintenanceStatus(ctx, err)
	}
	slog.InfoContext(ctx, "store backed up", "bytes", info.Bytes, "last_event", info.LastEvent,
		"sha256", fmt.Sprintf("%x", out.sum.Sum(nil)), "took", time.Since(start))
	return nil
}

// chunker gathers the copy's writes into messages of backupChunk bytes
// and hashes what it sends.
type chunker struct {
	send func(*ruqiv1.BackupStoreResponse) error
	sum  hash.Hash
	buf  []byte
	sent int64
}

func (c *chunker) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), backupChunk-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == backupChunk {
			if err := c.flush(); err != nil {
				return n - len(p) - k, err
			}
		}
	}
	return n, nil
}

// flush sends what is gathered. Send has marshalled the message when it
// returns, so the buffer is reused.
func (c *chunker) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	c.sum.Write(c.buf)
	if err := c.send(&ruqiv1.BackupStoreResponse{Part: &ruqiv1.BackupStoreResponse_Data{Data: c.buf}}); err != nil {
		return err
	}
	c.sent += int64(len(c.buf))
	c.buf = c.buf[:0]
	return nil
}
