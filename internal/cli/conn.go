package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// bearerToken sends the access token with every RPC as
// "authorization: Bearer <token>".
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity is false because the transport is plain TCP
// until the server speaks TLS.
// TODO: a --tls-ca flag, and then require transport security.
func (bearerToken) RequireTransportSecurity() bool { return false }

// dial opens a client connection to --server. It does not connect yet:
// grpc.NewClient connects on the first RPC.
func (a *app) dial() (*grpc.ClientConn, error) {
	tok, err := a.resolveToken()
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if a.dialer != nil {
		opts = append(opts, grpc.WithContextDialer(a.dialer))
	}
	if tok != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken(tok)))
	}
	cc, err := grpc.NewClient(a.server, opts...)
	if err != nil {
		return nil, usagef("服务器地址 %q 无效：%v", a.server, err)
	}
	return cc, nil
}

// call dials the server and runs f with a context bounded by --timeout.
func (a *app) call(cmd *cobra.Command, f func(ctx context.Context, cc *grpc.ClientConn) error) error {
	cc, err := a.dial()
	if err != nil {
		return err
	}
	defer func() {
		if cerr := cc.Close(); cerr != nil {
			fmt.Fprintf(a.stderr, "警告：关闭连接失败：%v\n", cerr)
		}
	}()
	ctx, cancel := a.rpcContext(cmd)
	defer cancel()
	return f(ctx, cc)
}
