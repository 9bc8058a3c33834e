package cli

import (
	"context"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/resolver"
	"google.golang.org/protobuf/proto"
)

// bearerToken sends the access token with every RPC as
// "authorization: Bearer <token>".
type bearerToken struct {
	token string
	// secure is set when the connection uses TLS: grpc then refuses to send
	// the token over a connection that is not secure.
	secure bool
}

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + t.token}, nil
}

// RequireTransportSecurity is true over TLS (--tls-ca). Without it the
// transport is plain TCP, as for a server on the same host or behind a
// TLS-terminating proxy, and the token goes in the clear.
func (t bearerToken) RequireTransportSecurity() bool { return t.secure }

// transportCredentials are TLS with the --tls-ca certificate as the only
// root when it is given, and no security otherwise.
func (a *app) transportCredentials() (credentials.TransportCredentials, error) {
	if a.tlsCA == "" {
		return insecure.NewCredentials(), nil
	}
	creds, err := credentials.NewClientTLSFromFile(a.tlsCA, "")
	if err != nil {
		return nil, fmt.Errorf("读取 CA 证书 %s 失败（--tls-ca 或 %s）：%w", a.tlsCA, envTLSCA, err)
	}
	return creds, nil
}

// dial opens a client connection to --server. It does not connect yet:
// grpc.NewClient connects on the first RPC.
func (a *app) dial(extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	tok, err := a.resolveToken()
	if err != nil {
		return nil, err
	}
	creds, err := a.transportCredentials()
	if err != nil {
		return nil, err
	}
	// Answers of any size the server sends (gRPC's 4 MiB default): so a
	// "received message larger than max" is the server's limit on a
	// request, which transportMessage says as such (a review, 2026-12-07).
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32))}
	if a.dialer != nil {
		opts = append(opts, grpc.WithContextDialer(a.dialer))
	}
	if tok != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken{token: tok, secure: a.tlsCA != ""}))
	}
	if err := checkServerAddr(a.server); err != nil {
		return nil, err
	}
	opts = append(opts, extra...)
	cc, err := grpc.NewClient(a.server, opts...)
	if err != nil {
		return nil, usagef("服务器地址 %q 无效：%v", a.server, err)
	}
	return cc, nil
}

// checkServerAddr refuses a URL given as --server: grpc-go reads
// "http://host:7400" as a host named "http" and says "too many colons"
// (an operator's trial, 2026-12-05).
func checkServerAddr(addr string) error {
	if scheme, _, ok := strings.Cut(addr, ":"); ok && scheme != "" && (resolver.Get(scheme) != nil || scheme == "unix" || scheme == "unix-abstract") {
		return nil // a gRPC target: dns:///…, unix:/path, passthrough:///…
	}
	if scheme, _, ok := strings.Cut(addr, "://"); ok && !strings.Contains(scheme, ":") {
		return usagef("服务器地址 %q 应为 gRPC 的 主机:端口，如 127.0.0.1:7400，不带 %s://（--server 或 %s）", addr, scheme, envServer)
	}
	// Without a port grpc-go dials 443, and an empty or odd one fails as
	// a connection, not as what was typed (an operator's second trial).
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 || host == "" {
		return usagef("服务器地址 %q 应为 gRPC 的 主机:端口，如 127.0.0.1:7400（--server 或 %s）", addr, envServer)
	}
	return nil
}

// call dials the server and runs f with a context bounded by --timeout.
// callLong is call for an administrator's job that takes as long as the
// store is large (a compaction, the log's verification: about 9 s for
// 100,000 plans on bbolt, docs/BENCHMARKS.md): it is held to --timeout only
// if one was given, not to the 10-second default; Ctrl-C stops the wait.
func (a *app) callLong(cmd *cobra.Command, f func(ctx context.Context, cc *grpc.ClientConn) error) error {
	if !cmd.Flags().Changed("timeout") {
		saved := a.timeout
		a.timeout = longJobTimeout
		defer func() { a.timeout = saved }()
	}
	return a.call(cmd, f)
}

// longJobTimeout bounds a long job when no --timeout was given.
const longJobTimeout = 24 * time.Hour

func (a *app) call(cmd *cobra.Command, f func(ctx context.Context, cc *grpc.ClientConn) error) (err error) {
	var failed atomic.Value // the method whose call failed, for the hint below; a command may call from several goroutines
	cc, err := a.dial(grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if m, ok := req.(proto.Message); ok {
			if f := notUTF8Field(m); f != "" {
				return usagef("所填文字（%s）不是有效的 UTF-8 编码，未发送：常见于在 GBK 等编码的终端中输入，或名单文件以其他编码保存；请改用 UTF-8 后重试", f)
			}
		}
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err != nil {
			failed.Store(method)
		}
		return err
	}))
	if err != nil {
		return err
	}
	defer func() {
		method, _ := failed.Load().(string)
		if h := lostAnswerHints[method]; h != "" && a.hint == "" && err != nil && mayHaveSucceeded(err) {
			a.hint = "提示：" + h + "\n"
		}
	}()
	defer func() {
		if cerr := cc.Close(); cerr != nil {
			fmt.Fprintf(a.stderr, "警告：关闭连接失败：%v\n", cerr)
		}
	}()
	ctx, cancel := a.rpcContext(cmd)
	defer cancel()
	return f(ctx, cc)
}
