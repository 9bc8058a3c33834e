package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
)

func (a *app) keysCommand() *cobra.Command {
	cmd := groupCommand("keys", "入企码签名公钥：下载到本地供离线核验、查看")
	cmd.AddCommand(a.keysFetchCommand(), a.keysListCommand())
	return cmd
}

// addKeysCacheFlag adds --keys-cache, which falls back to RUQI_KEYS_CACHE.
func addKeysCacheFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "keys-cache", defaultKeysCache(), "公钥缓存文件 `FILE`")
	bindEnv(cmd.Flags(), "keys-cache", envKeysCache)
}

func (a *app) keysFetchCommand() *cobra.Command {
	var (
		cache  string
		accept bool
	)
	cmd := &cobra.Command{
		Use:   "fetch",
		Short: "从服务器下载签名公钥，保存到本地缓存供离线核验",
		Long: "从服务器下载签名公钥、日志公钥和见证策略，保存到本地缓存。\n" +
			"缓存中已有的日志公钥或见证策略与服务器公布的不同时，不覆盖并报错（退出码 3）：\n" +
			"日志公钥不应改变，见证策略改变可能意味着不再要求见证。核实后用 --accept-change 接受。",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewKeyServiceClient(cc).ListPublicKeys(ctx, &ruqiv1.ListPublicKeysRequest{})
				if err != nil {
					return err
				}
				old, err := loadKeys(cache)
				if err == nil && !accept {
					if changed := trustChanges(old, resp); len(changed) > 0 {
						return &exitCodeError{code: exitNotValid, err: fmt.Errorf("服务器公布的%s与本地缓存 %s 中的不同，未保存。"+
							"请向系统管理方核实；确认无误后用 --accept-change 接受", strings.Join(changed, "和"), cache)}
					}
				} else if _, serr := os.Stat(cache); err != nil && serr == nil {
					// A cache that exists but cannot be read trusted
					// something this fetch cannot compare with: say so.
					fmt.Fprintf(a.stderr, "注意：原公钥缓存无法读取（%v），已用服务器公布的公钥替换，请核实日志公钥\n", err)
				}
				if err := saveKeys(cache, resp); err != nil {
					return err
				}
				a.printer().PublicKeys(resp, fmt.Sprintf("已保存 %d 个公钥到 %s", len(resp.GetKeys()), cache))
				return nil
			})
		},
	}
	addKeysCacheFlag(cmd, &cache)
	cmd.Flags().BoolVar(&accept, "accept-change", false, "接受与本地缓存不同的日志公钥或见证策略")
	return cmd
}

// trustChanges names what a fetch would change of what the cache trusts:
// the log key (which a log keeps for life: a new one means another log, or
// a rewritten one) and the witness policy (a weaker one would let the
// server alone vouch for its log). Signing keys rotate and are not asked
// about. A cache without a log key trusted nothing yet.
func trustChanges(cached, fetched *ruqiv1.ListPublicKeysResponse) []string {
	var changed []string
	if cached.GetLogKey() != "" && cached.GetLogKey() != fetched.GetLogKey() {
		changed = append(changed, "日志公钥")
	}
	if cached.GetLogKey() != "" && strings.TrimSpace(cached.GetWitnessPolicy()) != strings.TrimSpace(fetched.GetWitnessPolicy()) {
		changed = append(changed, "见证策略")
	}
	return changed
}

func (a *app) keysListCommand() *cobra.Command {
	var (
		cache  string
		cached bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "查看签名公钥（默认问服务器，--cached 看本地缓存）",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cached {
				resp, err := loadKeys(cache)
				if err != nil {
					return err
				}
				a.printer().PublicKeys(resp, "（本地缓存 "+cache+"）")
				return nil
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewKeyServiceClient(cc).ListPublicKeys(ctx, &ruqiv1.ListPublicKeysRequest{})
				if err != nil {
					return err
				}
				a.printer().PublicKeys(resp, "")
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&cached, "cached", false, "只看本地缓存，不联网")
	addKeysCacheFlag(cmd, &cache)
	return cmd
}

// The cache file is the protojson form of ListPublicKeysResponse: the same
// shape as `ruqi keys list -o json`.

// saveKeys writes the keys to path atomically: a temporary file in the same
// directory, then a rename, so that a reader never sees half a file.
func saveKeys(path string, keys *ruqiv1.ListPublicKeysResponse) error {
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(keys)
	if err != nil {
		return fmt.Errorf("编码公钥失败：%w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("创建缓存目录失败：%w", err)
	}
	tmp, err := os.CreateTemp(dir, ".keys-*.json")
	if err != nil {
		return fmt.Errorf("写入公钥缓存失败：%w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("写入公钥缓存失败：%w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("写入公钥缓存失败：%w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("写入公钥缓存失败：%w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("写入公钥缓存失败：%w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("写入公钥缓存失败：%w", err)
	}
	return nil
}

// loadKeys reads the keys saved by saveKeys.
func loadKeys(path string) (*ruqiv1.ListPublicKeysResponse, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("没有公钥缓存 %s：请先联网运行 ruqi keys fetch", path)
	}
	if err != nil {
		return nil, fmt.Errorf("读取公钥缓存失败：%w", err)
	}
	keys, err := parseKeys(b)
	if err != nil {
		return nil, fmt.Errorf("公钥缓存 %s 已损坏，请重新运行 ruqi keys fetch：%w", path, err)
	}
	return keys, nil
}

// parseKeys reads the contents of a keys cache. Fields it does not know
// are skipped: a cache written by a newer ruqi still serves an older one.
// Its refusal is bounded UTF-8 (jsonFault).
func parseKeys(b []byte) (*ruqiv1.ListPublicKeysResponse, error) {
	var keys ruqiv1.ListPublicKeysResponse
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &keys); err != nil {
		return nil, errors.New(jsonFault(b, err))
	}
	return &keys, nil
}
