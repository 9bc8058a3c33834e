package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc/status"
)

// tlsHint says, for a connection that failed, whether the CLI and the
// server disagree about TLS, naming --tls-ca; "" when they do not, or it
// cannot tell. A TLS server called without --tls-ca, or a plaintext one
// called with it, was told only "请确认服务器…已启动且可以连通" (an
// operator's trial, 2026-12-06).
func (a *app) tlsHint(st *status.Status) string {
	m := st.Message()
	if a.tlsCA != "" {
		switch {
		case strings.Contains(m, "first record does not look like a TLS handshake"):
			return fmt.Sprintf("服务器 %s 未启用 TLS（明文连接），而本次按 --tls-ca 用 TLS 连接：去掉 --tls-ca（及环境变量 %s）以明文连接，或请管理员以 -tls-cert、-tls-key 启动服务器。", a.server, envTLSCA)
		case strings.Contains(m, "authentication handshake failed") || strings.Contains(m, "x509:") || strings.Contains(m, "tls:"):
			return fmt.Sprintf("与服务器 %s 的 TLS 握手失败：请确认其证书由 --tls-ca 所给 %s 中的 CA 签发，且与地址 %s 相符。", a.server, a.tlsCA, a.server)
		}
		return ""
	}
	// Without --tls-ca a TLS server just closes the connection ("error
	// reading server preface: EOF"): ask it once for a TLS handshake.
	if (strings.Contains(m, "server preface") || strings.Contains(m, "EOF") || strings.Contains(m, "connection reset")) && a.speaksTLS() {
		return fmt.Sprintf("服务器 %s 启用了 TLS（加密连接），而本次为明文连接：请用 --tls-ca（或环境变量 %s）指定签发其证书的 CA 证书文件。", a.server, envTLSCA)
	}
	return ""
}

// speaksTLS tries a TLS handshake with --server, within 2 seconds. The
// certificate is not verified: the handshake only tells whether the server
// speaks TLS, and nothing is sent over it.
func (a *app) speaksTLS() bool {
	if _, _, err := net.SplitHostPort(a.server); err != nil && a.dialer == nil {
		return false // a resolver's name (dns:///…), a socket: not probed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var (
		conn net.Conn
		err  error
	)
	if a.dialer != nil {
		conn, err = a.dialer(ctx, a.server)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", a.server)
	}
	if err != nil {
		return false
	}
	defer conn.Close()
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}) // a probe only, see above
	defer tc.Close()
	return tc.HandshakeContext(ctx) == nil
}
