package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
)

// With -tls-cert and -tls-key the server speaks TLS: the CLI connects with
// --tls-ca and its bearer token, and refuses a server it cannot verify.
func TestTLS_CLIOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	w := newWorld(t, "-tls-cert", certFile, "-tls-key", keyFile)
	out := w.mustCLI(w.entA, "--tls-ca", certFile, "company", "history")
	if !strings.Contains(out, "没有检查记录") {
		t.Fatalf("history over TLS:\n%s", out)
	}
	// Without --tls-ca the CLI speaks plaintext to a TLS server: it says so
	// and names --tls-ca, not only that the server may be down.
	w.server.tlsCA = "" // no RUQI_TLS_CA
	if r := w.cli(w.entA, "company", "history"); r.exit == 0 || !strings.Contains(r.stderr, "启用了 TLS") || !strings.Contains(r.stderr, "--tls-ca") {
		t.Errorf("plaintext to a TLS server: exit %d\n%s", r.exit, r.stderr)
	}
	w.server.tlsCA = certFile
	// Without the CA the certificate cannot be verified: no call, exit 1.
	if r := w.cli(w.entA, "--tls-ca", filepath.Join(dir, "missing.pem"), "company", "history"); r.exit != 1 {
		t.Fatalf("missing CA file: exit %d", r.exit)
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ruqi test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
