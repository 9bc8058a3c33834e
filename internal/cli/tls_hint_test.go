package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A server that speaks TLS, called without --tls-ca, said only "请确认服务器
// … 已启动且可以连通" (an operator's trial, 2026-12-06); a plaintext server
// called with --tls-ca likewise. Over real loopback sockets, each says that
// the two ends disagree about TLS, and names --tls-ca.
func TestTLSMismatch_SaidWithTLSCA(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	cert := selfSigned(t, caFile)

	tlsSrv := grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	plainSrv := grpc.NewServer()
	for _, s := range []*grpc.Server{tlsSrv, plainSrv} {
		ruqiv1.RegisterEnterpriseServiceServer(s, &fakeServer{scan: &ruqiv1.ScanCodeResponse{}})
	}
	tlsAddr, plainAddr := serveLoopback(t, tlsSrv), serveLoopback(t, plainSrv)
	// Something that closes every connection at once (not TLS), and a port
	// nothing listens on: no word of TLS, the advice that the server may be
	// down.
	closer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	go func() {
		for {
			c, err := closer.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	goneAddr := gone.Addr().String()
	gone.Close()

	for _, c := range []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"a TLS server without --tls-ca", []string{"--server", tlsAddr}, []string{"启用了 TLS", "--tls-ca"}, []string{"已启动且可以连通"}},
		{"a plaintext server with --tls-ca", []string{"--server", plainAddr, "--tls-ca", caFile}, []string{"未启用 TLS", "--tls-ca", "明文"}, []string{"已启动且可以连通"}},
		{"a server that hangs up", []string{"--server", closer.Addr().String()}, []string{"已启动且可以连通"}, []string{"TLS"}},
		{"no server", []string{"--server", goneAddr}, []string{"已启动且可以连通"}, []string{"TLS"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			a, _, _ := testApp(nil)
			a.stdout, a.stderr = &out, &errOut
			code := a.run(append(c.args, "--timeout", "5s", "--token", "rq_x", "company", "scan", "ABC"))
			if code == 0 {
				t.Fatalf("exit 0:\n%s", out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, errOut.String())
				}
			}
			for _, w := range c.not {
				if strings.Contains(errOut.String(), w) {
					t.Errorf("stderr says %q:\n%s", w, errOut.String())
				}
			}
		})
	}
}

func serveLoopback(t *testing.T, s *grpc.Server) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// selfSigned makes a certificate for 127.0.0.1 and writes it to caFile.
func selfSigned(t *testing.T, caFile string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ruqi test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
