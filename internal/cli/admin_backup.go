package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/durable"
	"github.com/ruqi/ruqi/internal/sim"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func (a *app) adminBackupCommand() *cobra.Command {
	var noProgress bool
	cmd := &cobra.Command{
		Use:   "backup 备份文件",
		Short: "在线备份服务器的数据文件",
		Long: `把内置存储（bbolt）的数据文件在某一时刻的完整副本下载到本机：备份期间服务器照常报备、扫码。
服务器先在数据目录所在磁盘上做一份本地副本再发送，需要与数据文件同样大的空闲空间，另加 256 MiB。
副本写入备份文件所在目录下的新临时文件（.part，权限 0600），核对字节数与 SHA-256、用 bbolt 逐页检查无误
并落盘后才命名为备份文件；已有同名文件时不覆盖。备份不受 --timeout 限制，按 Ctrl-C 中断时不留下任何文件。
副本含全部记录和入企码签名密钥，请像数据目录一样妥善保管。

恢复：停止服务器，把数据目录中的 ruqi.db 和 ruqi.db.wal/ 移开（或新建数据目录），把备份文件复制为 ruqi.db，
并把原数据目录的 log.key 复制到旁边，再启动。备份之后发生的事件随之丢失，见证方（司法局）会发现日志回退，
这正是日志防篡改的用意：恢复前请告知见证方。备份之后吊销的令牌、暂扣的执法证和轮换的密钥会恢复原状：
先只在本机地址上启动服务器，重新吊销、暂扣并轮换签名密钥，再正常启动（详见 README）。
使用 PostgreSQL 存储时请用 pg_basebackup 或 pg_dump（见 README）。`,
		Example: `  ruqi --token-file ruqi-data/admin.token admin backup ruqi-$(date +%Y%m%d).db`,
		Args:    exactArgs(1, "备份文件"),
		RunE: func(cmd *cobra.Command, args []string) error {
			// No --timeout: a large file takes as long as it takes; Ctrl-C
			// stops it and leaves nothing behind.
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return a.backup(ctx, args[0], !noProgress && sim.IsTerminal(a.stderr))
		},
	}
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "不显示进度条")
	return cmd
}

// backupReport is what a backup printed.
type backupReport struct {
	Path         string    `json:"path"`
	Bytes        int64     `json:"bytes"`
	LastEventSeq uint64    `json:"lastEventSeq"`
	TakenAt      time.Time `json:"takenAt"`
	SHA256       string    `json:"sha256"`
	Seconds      float64   `json:"seconds"`
}

func (a *app) backup(ctx context.Context, path string, showProgress bool) error {
	if _, err := os.Lstat(path); err == nil {
		return usagef("%s 已存在，未覆盖：请换一个文件名", path)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return usagef("目录 %s 不存在，请先创建", filepath.Dir(path))
	}
	// A new file of our own, 0600, never one that was there (it could be
	// another's, or a link elsewhere: a read-only review, 2026-12-04).
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.part")
	if err != nil {
		return fmt.Errorf("创建备份文件失败：%w", err)
	}
	part := f.Name()
	defer func() {
		f.Close()
		os.Remove(part) // linked as path when done; gone otherwise
	}()
	// Ctrl-C or a stop leaves no partial copy of the keys behind.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cc, err := a.dial()
	if err != nil {
		return err
	}
	defer cc.Close()
	start := time.Now()
	stream, err := ruqiv1.NewAdminServiceClient(cc).BackupStore(ctx, &ruqiv1.BackupStoreRequest{})
	if err != nil {
		return interrupted(ctx, err)
	}
	var (
		hdr     *ruqiv1.BackupHeader
		trailer *ruqiv1.BackupTrailer
		got     int64
		prog    sim.Progress
	)
	sum := sha256.New()
	for trailer == nil {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return errors.New("备份未完成：服务器在发完之前结束了传输，备份文件未保存")
		}
		if err != nil {
			return interrupted(ctx, err)
		}
		switch p := m.GetPart().(type) {
		case *ruqiv1.BackupStoreResponse_Header:
			hdr = p.Header
			if showProgress {
				bar := sim.NewBar(a.stderr)
				bar.Start("下载备份（KiB）", int(hdr.GetSize()/1024))
				defer bar.Done()
				prog = bar
			}
		case *ruqiv1.BackupStoreResponse_Data:
			if hdr == nil {
				return errors.New("备份传输有误：数据先于说明到达，备份文件未保存")
			}
			if _, err := f.Write(p.Data); err != nil {
				return fmt.Errorf("写入备份文件失败：%w", err)
			}
			sum.Write(p.Data)
			if prog != nil {
				prog.Add(int((got+int64(len(p.Data)))/1024 - got/1024))
			}
			got += int64(len(p.Data))
		case *ruqiv1.BackupStoreResponse_Trailer:
			trailer = p.Trailer
		}
	}
	if hdr == nil || got != hdr.GetSize() {
		return fmt.Errorf("备份不完整：收到 %d 字节，应为 %d 字节，备份文件未保存", got, hdr.GetSize())
	}
	if !bytes.Equal(sum.Sum(nil), trailer.GetSha256()) {
		return errors.New("备份校验失败：收到的内容与服务器的 SHA-256 不符，备份文件未保存")
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("备份文件落盘失败：%w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("备份文件落盘失败：%w", err)
	}
	if err := checkBoltFile(part); err != nil {
		return fmt.Errorf("备份文件检查未通过，未保存：%w", err)
	}
	if ctx.Err() != nil { // interrupted while the copy was checked
		return interrupted(ctx, ctx.Err())
	}
	if err := keepAs(part, path); err != nil {
		return fmt.Errorf("保存备份文件失败：%w", err)
	}
	_ = durable.SyncDir(filepath.Dir(path)) // the name, as best it can: the copy itself is synced
	a.printer().BackedUp(backupReport{Path: path, Bytes: got, LastEventSeq: hdr.GetLastEventSeq(),
		TakenAt: hdr.GetTakenAt().AsTime(), SHA256: fmt.Sprintf("%x", trailer.GetSha256()), Seconds: time.Since(start).Seconds()})
	return nil
}

// interrupted says so when the backup was stopped by Ctrl-C or a signal.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.New("备份已中断，未保存备份文件")
	}
	return err
}

// keepAs gives the finished copy its name. A link fails if a file was made
// at path meanwhile, where a rename would replace it; a file system without
// links (a FAT-formatted drive) gets the rename after a last look.
func keepAs(part, path string) error {
	err := os.Link(part, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(path); serr == nil {
		return fmt.Errorf("%s 已存在，未覆盖", path)
	}
	return os.Rename(part, path)
}

// checkBoltFile opens a copy read-only and has bbolt check every page: a
// copy that would not open, or whose pages do not add up, is no backup.
func checkBoltFile(path string) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		var first error
		for err := range tx.Check() { // drained: the checker sends every fault
			if first == nil {
				first = err
			}
		}
		return first
	})
}

func (p *jsonPrinter) BackedUp(r backupReport) {
	enc := json.NewEncoder(p.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		fmt.Fprintf(p.errOut, "错误：无法编码为 JSON：%v\n", err)
	}
}

func (p *tablePrinter) BackedUp(r backupReport) {
	fields(p.out,
		kv("备份文件", r.Path),
		kv("大小", fmtBytes(r.Bytes)),
		kv("最后事件序号", fmt.Sprint(r.LastEventSeq)),
		kv("备份时刻", r.TakenAt.In(shanghai).Format("2006-01-02 15:04:05")),
		kv("SHA-256", r.SHA256),
		kv("用时", fmt.Sprintf("%.1f 秒", r.Seconds)),
	)
}
