package cli

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
	"google.golang.org/grpc"

	"github.com/ruqi/ruqi/internal/durable"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// defaultLoginFile is where `ruqi login` keeps the session token.
func defaultLoginFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "ruqi", "token")
}

// loginCommand signs in through the province's identity provider with the
// authorization code flow, PKCE and a loopback redirect (RFC 8252): the
// provider sends the browser back to a port this command listens on for a
// few minutes. The server verifies the ID token (SessionService.SignIn) and
// answers with a session token of its own, which is saved for --token-file.
func (a *app) loginCommand() *cobra.Command {
	var (
		as, save string
		wait     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "使用政务服务账号登录",
		Long: `通过服务器配置的身份提供方（政务服务账号，OpenID Connect）登录。

命令打印一个网址，请在本机的浏览器中打开并登录；登录完成后浏览器回到本机的
一个临时端口，命令取得身份令牌，交给服务器核验，换得有期限的访问令牌并保存到
文件（默认 ` + "`~/.config/ruqi/token`" + `）。之后的命令用 --token-file 或 RUQI_TOKEN_FILE 使用它。

一个账号对应多种身份时，用 --as 指定以哪种身份登录。未启用身份提供方的服务器
仍使用管理员签发的令牌（ruqi admin token issue）。网页只供企业和司法局登录；执法人员、
执法部门管理员和负责人用本命令登录。用完后用 ruqi logout 退出（吊销令牌、删除文件）。`,
		Example: `  ruqi login
  ruqi login --as enterprise --save ./enterprise.token
  RUQI_TOKEN_FILE=./enterprise.token ruqi company history`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var role ruqiv1.Role
			if as != "" {
				r, err := parseRole(as)
				if err != nil {
					return usagef("--as：%v", err)
				}
				role = r
			}
			if save == "" {
				save = defaultLoginFile()
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				return a.login(cmd, ctx, cc, role, save, wait)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "以此身份登录 `ROLE`：enterprise、officer、supervisor、agency-admin 或 agency-head")
	f.StringVar(&save, "save", "", "访问令牌保存到 `FILE`（默认 ~/.config/ruqi/token）")
	f.DurationVar(&wait, "wait", 5*time.Minute, "等待浏览器完成登录的时间 `DURATION`")
	return cmd
}

func (a *app) login(cmd *cobra.Command, ctx context.Context, cc *grpc.ClientConn, role ruqiv1.Role, save string, wait time.Duration) error {
	sess := ruqiv1.NewSessionServiceClient(cc)
	conf, err := sess.GetSignInConfig(ctx, &ruqiv1.GetSignInConfigRequest{})
	if err != nil {
		return err
	}
	if conf.GetIssuer() == "" || conf.GetCliClientId() == "" {
		return errors.New("服务器未启用政务服务账号登录：请使用管理员签发的访问令牌（--token 或 --token-file）")
	}
	provider, err := oidc.NewProvider(ctx, conf.GetIssuer())
	if err != nil {
		// go-oidc's reasons are English: an issuer that is not the
		// provider's own is the server's configuration, not the network
		// (a trial of sign-in, 2026-12-07).
		if strings.Contains(err.Error(), "did not match the issuer URL returned by provider") {
			return fmt.Errorf("服务器配置的身份提供方地址 %s 与提供方自报的地址不符：请管理员核对 -oidc-config 的 issuer（须与提供方的完全一致，包括末尾的 /）", conf.GetIssuer())
		}
		return fmt.Errorf("无法连接身份提供方 %s，请稍后重试或联系管理员（原因：%v）", conf.GetIssuer(), err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("无法在本机开启登录回调端口：%w", err)
	}
	defer lis.Close()
	// The scopes the web sign-in asks for too: `ruqi login` asked for
	// "openid" alone, and a provider that releases the mapped claims only
	// under a scope refused every CLI sign-in as an unknown account (an
	// operator's trial, 2026-12-07).
	scopes := append([]string{oidc.ScopeOpenID}, conf.GetScopes()...)
	oc := &oauth2.Config{ClientID: conf.GetCliClientId(), Endpoint: provider.Endpoint(), Scopes: scopes,
		RedirectURL: "http://" + lis.Addr().String() + "/callback"}
	state, nonce, verifier := oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()

	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var res result
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			// Not our request (another tab, or a forged link): keep waiting.
			http.Error(w, "登录请求不符，请回到命令行重新运行 ruqi login", http.StatusBadRequest)
			return
		case q.Get("error") != "":
			res.err = fmt.Errorf("身份提供方未完成登录：%.200s %.200s", q.Get("error"), q.Get("error_description"))
		default:
			res.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if res.err != nil {
			fmt.Fprintln(w, "登录未完成，请回到命令行查看原因。")
		} else {
			fmt.Fprintln(w, "已取得登录结果，可以关闭此页面，回到命令行。")
		}
		select {
		case done <- res:
		default:
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Close()

	fmt.Fprintf(a.stderr, "请在浏览器中打开以下网址，用政务服务账号登录（%s 内有效）：\n%s\n", wait, oc.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))

	var res result
	select {
	case res = <-done:
	case <-time.After(wait):
		return fmt.Errorf("等待登录超时（%s）：请重新运行 ruqi login", wait)
	case <-cmd.Context().Done():
		return cmd.Context().Err()
	}
	if res.err != nil {
		return res.err
	}
	// The wait for the browser used up the command's RPC deadline: the
	// exchange and the sign-in get a fresh one.
	ctx, cancel := a.rpcContext(cmd)
	defer cancel()
	tok, err := oc.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("登录失败：身份提供方不接受此授权码：%v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return errors.New("登录失败：身份提供方没有返回身份令牌")
	}
	resp, err := sess.SignIn(ctx, &ruqiv1.SignInRequest{IdToken: rawID, Nonce: nonce, Role: role})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(save), 0o700); err != nil {
		return fmt.Errorf("保存令牌失败：%w", err)
	}
	// A new 0600 file renamed over the path: an existing file kept its
	// mode (0644 in a trial of sign-in, 2026-12-05), and a link its target.
	if err := durable.WriteFile(save, []byte(resp.GetToken()+"\n"), 0o600); err != nil {
		return fmt.Errorf("保存令牌失败：%w", err)
	}
	// A supervisor's name holds the region already: "司法局（510100）（510100）"
	// (a trial of sign-in, 2026-12-07).
	who := resp.GetDisplayName()
	if !strings.Contains(who, resp.GetSubject()) {
		who += "（" + resp.GetSubject() + "）"
	}
	fmt.Fprintf(a.stdout, "已登录：%s %s，有效期至 %s。\n令牌已保存到 %s；之后的命令请加 --token-file %s，或设置 RUQI_TOKEN_FILE。\n",
		roleLabel(resp.GetRole()), who, fmtTime(resp.GetExpiresAt()), save, save)
	return nil
}
