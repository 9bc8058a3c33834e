package service

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
)

// errorDomain names ruqi in google.rpc.ErrorInfo.
const errorDomain = "ruqi.v1"

// maxMessageRunes bounds an error message sent to a client (grpc-message is
// a header: it must stay well under the 8 KiB that proxies allow).
const maxMessageRunes = 600

// codeOf is the one table from domain error kinds to gRPC codes.
var codeOf = map[domain.Kind]codes.Code{
	domain.KindInvalid:            codes.InvalidArgument,
	domain.KindNotFound:           codes.NotFound,
	domain.KindAlreadyExists:      codes.AlreadyExists,
	domain.KindFailedPrecondition: codes.FailedPrecondition,
	domain.KindPermissionDenied:   codes.PermissionDenied,
	domain.KindUnauthenticated:    codes.Unauthenticated,
	domain.KindResourceExhausted:  codes.ResourceExhausted,
	domain.KindUnavailable:        codes.Unavailable,
}

// Status is toStatus for the server's interceptors, which check requests
// before any handler: the same table answers them.
func Status(ctx context.Context, err error) error { return toStatus(ctx, err) }

// toStatus turns any error a handler meets into a gRPC status error. Domain
// errors carry their reason as ErrorInfo; status errors and context errors
// pass through; anything else is an internal error whose detail is logged,
// not shown.
func toStatus(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		// Values are clipped where the message is made (domain.newf); this
		// bound catches a message built some other way.
		code, ok := codeOf[de.Kind]
		if !ok {
			// A kind added without a row here must never become OK (a nil
			// error to the client: a failure reported as success).
			slog.ErrorContext(ctx, "domain error kind without a gRPC code", "kind", int(de.Kind), "reason", de.Reason, "err", err)
			return status.Error(codes.Internal, "服务器内部错误，已记录，请稍后重试或联系管理员")
		}
		st := status.New(code, domain.Clip(de.Message, maxMessageRunes))
		md := make(map[string]string, len(de.Metadata))
		for k, v := range de.Metadata {
			md[k] = domain.Clip(v, domain.MaxEchoRunes)
		}
		if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Reason: de.Reason, Domain: errorDomain, Metadata: md}); err == nil {
			st = withInfo
		}
		return st.Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "请求已取消")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "请求超时，请稍后重试")
	case errors.Is(err, store.ErrMaintenanceRunning):
		return toStatus(ctx, domain.FailedPreconditionf("MAINTENANCE_IN_PROGRESS", "数据文件正在压缩或备份，请等它结束后再试"))
	case errors.Is(err, store.ErrNoSpace):
		slog.WarnContext(ctx, "backup: disk full", "err", err)
		return toStatus(ctx, domain.ResourceExhaustedf("BACKUP_NO_SPACE", "数据目录所在磁盘空间不足，无法备份：备份需要与数据文件同样大的空闲空间，另留 256 MiB 供服务器照常写入"))
	case errors.Is(err, store.ErrUnavailable):
		// The error names the database (host:port/name): for the log, not
		// for the caller.
		slog.WarnContext(ctx, "store unavailable", "err", err)
		return toStatus(ctx, domain.Unavailablef("STORE_UNAVAILABLE", "数据库（PostgreSQL）暂时无法访问，请稍后重试"))
	}
	slog.ErrorContext(ctx, "internal error", "err", err)
	return status.Error(codes.Internal, "服务器内部错误，已记录，请稍后重试或联系管理员")
}

// maintenanceStatus is toStatus for a backup's or a compaction's error:
// both write a file beside the data file first, and a data directory the
// server's user may not write into was answered INTERNAL, the reason in
// the server's log only (an operator's trial, 2026-12-06). Only here: an
// EACCES elsewhere (a connection a policy blocks) is not the data
// directory's (a review).
func maintenanceStatus(ctx context.Context, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		slog.WarnContext(ctx, "permission denied", "err", err)
		return toStatus(ctx, domain.FailedPreconditionf("DATA_DIR_NOT_WRITABLE", "服务器无权在数据目录中写入文件（权限不足）：备份和压缩都先在数据目录中写出一份文件；请让运行服务器的用户可写数据目录及其中的文件"))
	}
	return toStatus(ctx, err)
}
